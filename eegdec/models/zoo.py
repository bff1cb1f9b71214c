"""Registration of DBConformer, braindecode baselines and classical pipelines."""
