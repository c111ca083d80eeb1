import json

from synface.data.importers import import_bin
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    print(json.dumps(import_bin(snakemake.params.pack, snakemake.output[0])))
