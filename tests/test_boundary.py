"""The headless core stays free of the terminal app."""

import json
import subprocess
import sys


def test_store_imports_without_textual_or_tui() -> None:
    script = (
        "import json, sys, pkgutil, importlib, store\n"
        "for module in pkgutil.walk_packages(store.__path__, 'store.'):\n"
        "    if not module.name.startswith('store.migrations.'):\n"
        "        importlib.import_module(module.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout

    loaded = json.loads(output)
    assert [name for name in loaded if name.split(".")[0] == "textual"] == []
    assert [name for name in loaded if name.split(".")[0] == "tui"] == []
