"""One ``run`` function per workflow step: read the step's input files, call the library,
write the step's outputs. The scripts under ``workflow/scripts`` only unpack ``snakemake``
and call these."""
