import json
from pathlib import Path

from synface.data.imagefiles import Alignment
from synface.data.importers import import_lfw
from synface.workflow import log_to

# The same importer as for the real LFW: the stand-in is written in its layout.
with log_to(snakemake.log[0]):
    folder = Path(snakemake.input[0])
    counts = import_lfw(folder / "lfw", folder / "pairs.txt", snakemake.output[0], Alignment("none"))
    print(json.dumps(counts))
