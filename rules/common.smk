# Helpers only: the software environment and the manifest; no rules here.


conda: "../workflow/envs/synface.yaml"


wildcard_constraints:
    name="[A-Za-z0-9_]+",
