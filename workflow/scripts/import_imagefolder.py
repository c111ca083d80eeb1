import json

from synface.data.imagefiles import Alignment
from synface.data.importers import import_imagefolder
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    counts = import_imagefolder(snakemake.input[0], snakemake.output[0], Alignment(snakemake.params.align))
    print(json.dumps(counts))
