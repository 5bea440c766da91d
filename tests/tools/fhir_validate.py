"""Validates FHIR R4 JSON files with the independent `fhir.resources` models
(R4 4.0.1 in the 6.4 line). Usage: fhir_validate.py FILE...; exits 1 on any
invalid resource and prints why."""

import json
import sys

import fhir.resources
from fhir.resources import construct_fhir_element


def main(paths):
    if fhir.resources.__fhir_version__ != "4.0.1":
        print(f"expected FHIR 4.0.1 models, got {fhir.resources.__fhir_version__}")
        return 2
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        try:
            construct_fhir_element(data["resourceType"], data)
        except Exception as e:  # the library raises pydantic's ValidationError
            failed += 1
            print(f"{path}: {data.get('resourceType')} invalid: {e}")
    print(f"validated {len(paths) - failed} of {len(paths)} FHIR resources")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
