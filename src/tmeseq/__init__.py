"""tmeseq: compare the tumour microenvironment between treatment arms from bulk RNA-seq.

The package holds all the logic of the workflow; the Snakemake rules only wire files and the
scripts under ``workflow/scripts`` only unpack the ``snakemake`` object and call in here.
"""

from tmeseq.errors import InputError

__all__ = ["InputError"]
__version__ = "0.1.0"
