"""Settings every part shares: the default folders and the environment variables
that override them, so the command line and the web app read the same names."""

from __future__ import annotations

ENV_PREFIX = "SEEDSEARCH_"  # the web app reads SEEDSEARCH_<KEY> for each config key
SOURCE_ENV = ENV_PREFIX + "SOURCE"
INDEX_ENV = ENV_PREFIX + "INDEX"
CLUSTER_ENV = ENV_PREFIX + "CLUSTER"  # a Dask scheduler's address: builds run on its workers
DEFAULT_SOURCE = "seeds"  # the folder of documents, relative to where seedsearch runs
DEFAULT_INDEX = "index"  # the index folder
OCR_LANG_ENV = ENV_PREFIX + "OCR_LANG"  # Tesseract languages, "eng+rus"
OCR_TIMEOUT_ENV = ENV_PREFIX + "OCR_TIMEOUT"  # seconds one page may take
FILE_TIMEOUT_ENV = ENV_PREFIX + "FILE_TIMEOUT"  # seconds one file's reading may take
FILE_MEMORY_ENV = ENV_PREFIX + "FILE_MEMORY"  # memory one file's reading may take ("2GB")
