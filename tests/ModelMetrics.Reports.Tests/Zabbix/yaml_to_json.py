# Copyright (c) ModelMetrics contributors. Licensed under the MIT License.
"""Parses a YAML file with Debian's python3-yaml (safe loader) and prints it as JSON."""
import json
import sys

import yaml

print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))
