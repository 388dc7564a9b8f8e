import subprocess
import sys


def test_import_featurevault_loads_no_driver() -> None:
    code = (
        "import sys, featurevault\n"
        "from featurevault import Entity, FeatureView, Field, FileSource\n"
        "heavy = [m for m in ('redis', 'psycopg', 'fastapi', 'uvicorn', 'duckdb', 'pyspark') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
