"""Sub-commands of the ``eegdec`` CLI (see :mod:`eegdec.cli`)."""
