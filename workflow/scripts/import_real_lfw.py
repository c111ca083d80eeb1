import json

from synface.data.imagefiles import Alignment
from synface.data.importers import import_lfw
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    i = snakemake.input
    counts = import_lfw(i.images, i.pairs, snakemake.output[0], Alignment(snakemake.params.align))
    print(json.dumps(counts))
