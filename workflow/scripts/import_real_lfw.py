import json

from synface.data.imagefiles import Alignment
from synface.data.importers import import_lfw
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    counts = import_lfw(p.images, p.pairs, snakemake.output[0], Alignment(p.align))
    print(json.dumps(counts))
