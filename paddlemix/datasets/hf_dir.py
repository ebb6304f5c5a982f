"""Read and write Hugging Face dataset directories with pyarrow alone (no `datasets` at run time).

Two on-disk layouts hold the seed's counting and geometry training sets, and both are read here:

- **hub snapshot**: what `huggingface-cli download leonardPKU/clevr_cogen_a_train --local-dir DIR` leaves,
  and what the seed's `load_dataset(DIR)` reads: `DIR/data/{split}-00000-of-0000N.parquet` (or
  `DIR/{split}/*.parquet`) plus a README.md;
- **save_to_disk**: what `Dataset.save_to_disk` / `DatasetDict.save_to_disk` write: `state.json` listing
  Arrow IPC *stream* files, and, for a DatasetDict, `dataset_dict.json` with one folder per split.

An `Image` feature is a struct column `{bytes: binary, path: string}`. Only the text columns are read up
front; an image's bytes are read when `HFTable.image(i)` asks for them (Arrow files are memory-mapped,
Parquet files are read one row group at a time), so a 10 GB set does not have to fit in memory.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from paddlemix.errors import DataError, MissingFileError, UserError

LAYOUTS = ("hub", "save_to_disk")


class MissingSplitError(UserError, KeyError):
    """A split or column the dataset directory does not have; the message lists the ones it has."""


class HFTable:
    """One split of a dataset directory: text columns in memory, image bytes read on demand."""

    def __init__(self, path: str, split: str, files: list[str], kind: str):
        """Open `files` (all "arrow" or all "parquet") of one split of the dataset at `path`."""
        self.path, self.split, self.files, self.kind = path, split, files, kind
        if kind == "arrow":
            tables = [_read_arrow(f) for f in files]
            self._arrow = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
            schema = self._arrow.schema
        else:
            self._parquet = [_open_parquet(f) for f in files]
            schema = self._parquet[0].schema_arrow
        self.features = _features(schema)
        self.image_columns = [name for name, feat in self.features.items() if feat.get("_type") == "Image"]
        self.column_names = list(schema.names)
        text_columns = [c for c in self.column_names if c not in self.image_columns]
        # Stored image paths are small and read up front, so a cache hit never touches the image bytes.
        if kind == "arrow":
            self._text = self._arrow.select(text_columns).to_pydict()
            self._paths = {
                c: pc.struct_field(self._arrow.column(c), "path").to_pylist() for c in self.image_columns
            }
            self.num_rows = self._arrow.num_rows
        else:
            parts = [f.read(columns=text_columns) for f in self._parquet]
            self._text = pa.concat_tables(parts).to_pydict() if parts else {}
            self._paths = {}
            for c in self.image_columns:
                cells = pa.concat_tables([f.read(columns=[f"{c}.path"]) for f in self._parquet]).column(c)
                self._paths[c] = pc.struct_field(cells, "path").to_pylist()
            # Map a global row to (file, row group, row within the group) to read one group at a time.
            self._groups = []
            for fi, f in enumerate(self._parquet):
                for gi in range(f.metadata.num_row_groups):
                    self._groups.append((fi, gi, f.metadata.row_group(gi).num_rows))
            self.num_rows = sum(n for _, _, n in self._groups)
            self._cached_group: tuple[int, list] | None = None

    def __len__(self) -> int:
        """Number of rows in the split."""
        return self.num_rows

    def column(self, name: str) -> list:
        """A text column as a Python list."""
        if name not in self._text:
            raise KeyError(
                f"{self.path} ({self.split}) has no text column {name!r}; columns: {self.column_names}"
            )
        return self._text[name]

    def image_path(self, i: int, column: str = "image") -> str | None:
        """Row `i`'s stored image path (often just a file name), without reading the image bytes."""
        if column not in self._paths:
            raise KeyError(
                f"{self.path} ({self.split}) has no image column {column!r}; images: {self.image_columns}"
            )
        return self._paths[column][i]

    def image(self, i: int, column: str = "image") -> dict | None:
        """Row `i`'s image struct `{"bytes": ..., "path": ...}`, or None when the cell is null."""
        if column not in self.image_columns:
            raise KeyError(
                f"{self.path} ({self.split}) has no image column {column!r}; images: {self.image_columns}"
            )
        if not 0 <= i < self.num_rows:
            raise IndexError(f"row {i} out of range for {self.num_rows} rows")
        if self.kind == "arrow":
            return self._arrow.column(column)[i].as_py()
        start = 0
        for g, (fi, gi, n) in enumerate(self._groups):
            if i < start + n:
                if self._cached_group is None or self._cached_group[0] != g:
                    table = self._parquet[fi].read_row_group(gi, columns=[column])
                    self._cached_group = (g, table.column(column).to_pylist())
                return self._cached_group[1][i - start]
            start += n
        raise IndexError(i)

    def __getstate__(self) -> dict:
        """Pickle by path so a DataLoader worker reopens the files instead of copying the data."""
        return {"path": self.path, "split": self.split, "files": self.files, "kind": self.kind}

    def __setstate__(self, state: dict) -> None:
        """Reopen the files after unpickling."""
        self.__init__(state["path"], state["split"], state["files"], state["kind"])


def list_splits(path: str) -> list[str]:
    """The split names found in a dataset directory of either layout."""
    dict_json = os.path.join(path, "dataset_dict.json")
    if os.path.isfile(dict_json):
        with open(dict_json, encoding="utf-8") as f:
            return list(json.load(f)["splits"])
    state = os.path.join(path, "state.json")
    if os.path.isfile(state):
        with open(state, encoding="utf-8") as f:
            return [json.load(f).get("_split") or "train"]
    splits = []
    for file in _parquet_files(path):
        split = _parquet_split(path, file)
        if split not in splits:
            splits.append(split)
    return splits


def read_hf_dir(path: str, split: str = "train") -> HFTable:
    """Open one split of a hub snapshot or save_to_disk directory; errors say what the folder holds."""
    if not os.path.isdir(path):
        raise MissingFileError(f"dataset directory not found: {path}")
    dict_json = os.path.join(path, "dataset_dict.json")
    if os.path.isfile(dict_json):
        splits = list_splits(path)
        if split not in splits:
            raise MissingSplitError(
                f"{path} has no split {split!r}; splits: {splits}", fix="--dataset_train_split"
            )
        return read_hf_dir(os.path.join(path, split), split)
    state = os.path.join(path, "state.json")
    if os.path.isfile(state):
        with open(state, encoding="utf-8") as f:
            files = [os.path.join(path, d["filename"]) for d in json.load(f)["_data_files"]]
        return HFTable(path, split, files, "arrow")
    parquet = [f for f in _parquet_files(path) if _parquet_split(path, f) == split]
    if parquet:
        return HFTable(path, split, parquet, "parquet")
    found = list_splits(path)
    if found:
        raise MissingSplitError(
            f"{path} has no split {split!r}; splits: {found}", fix="--dataset_train_split"
        )
    raise MissingFileError(
        f"{path} is not a Hugging Face dataset directory: no dataset_dict.json, state.json or *.parquet in it"
    )


def write_hf_dir(
    path: str, splits: dict[str, list[dict]], features: dict, layout: str = "hub", rows_per_group: int = 64
) -> None:
    """Write rows (image cells as `{"bytes", "path"}` dicts) in a layout that `datasets` itself loads.

    `layout="hub"` writes `data/{split}-00000-of-00001.parquet` and a README with the dataset card YAML
    (what `load_dataset(path)` reads); `layout="save_to_disk"` writes a DatasetDict (what
    `load_from_disk(path)` reads). `features` maps column name to its `datasets` feature dict, e.g.
    `{"image": {"_type": "Image"}, "problem": {"dtype": "string", "_type": "Value"}}`.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    schema = _schema(features)
    os.makedirs(path, exist_ok=True)
    tables = {split: pa.Table.from_pylist(rows, schema=schema) for split, rows in splits.items()}
    if layout == "hub":
        os.makedirs(os.path.join(path, "data"), exist_ok=True)
        for split, table in tables.items():
            pq.write_table(
                table,
                os.path.join(path, "data", f"{split}-00000-of-00001.parquet"),
                row_group_size=rows_per_group,
            )
        with open(os.path.join(path, "README.md"), "w", encoding="utf-8") as f:
            f.write(_dataset_card(features, tables))
        return
    with open(os.path.join(path, "dataset_dict.json"), "w", encoding="utf-8") as f:
        json.dump({"splits": list(tables)}, f)
    for split, table in tables.items():
        split_dir = os.path.join(path, split)
        os.makedirs(split_dir, exist_ok=True)
        data_file = "data-00000-of-00001.arrow"
        with pa.OSFile(os.path.join(split_dir, data_file), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table, max_chunksize=rows_per_group)
        info = {"citation": "", "description": "", "features": features, "homepage": "", "license": ""}
        with open(os.path.join(split_dir, "dataset_info.json"), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
        state = {
            "_data_files": [{"filename": data_file}],
            "_fingerprint": f"synthetic-{split}-{table.num_rows}",
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": split,
        }
        with open(os.path.join(split_dir, "state.json"), "w", encoding="utf-8") as f:
            json.dump(state, f, indent=2)


def _read_arrow(file: str) -> pa.Table:
    """Memory-map an Arrow file; `datasets` writes the IPC stream format, older tools the file format."""
    source = pa.memory_map(file)
    try:
        return pa.ipc.open_stream(source).read_all()
    except pa.ArrowInvalid:
        try:
            return pa.ipc.open_file(pa.memory_map(file)).read_all()
        except pa.ArrowInvalid as e:
            raise DataError(f"not a readable Arrow file ({e}; truncated?)", where=file) from None


def _open_parquet(file: str) -> pq.ParquetFile:
    """Open a Parquet file; a truncated or foreign one is a DataError naming it."""
    try:
        return pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as e:
        raise DataError(f"not a readable Parquet file ({e}; truncated?)", where=file) from None


def _parquet_files(path: str) -> list[str]:
    """Every *.parquet file under `path`, sorted, skipping hidden folders such as `.cache`."""
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".parquet"))
    return found


def _parquet_split(root: str, file: str) -> str:
    """A parquet file's split, by the hub's conventions: `data/train-0000-of-0001.parquet` or `train/0000.parquet`."""
    name = os.path.basename(file)
    for sep in ("-", "_", "."):
        head = name.split(sep, 1)[0]
        if head != name and not head.isdigit():
            return head
    parent = os.path.basename(os.path.dirname(os.path.relpath(file, root)))
    return parent or "train"


def _features(schema: pa.Schema) -> dict:
    """The `datasets` features stored in the schema metadata, else inferred (an image is `{bytes, path}`)."""
    meta = (schema.metadata or {}).get(b"huggingface")
    if meta:
        features = json.loads(meta).get("info", {}).get("features")
        if features:
            return features
    inferred = {}
    for f in schema:
        if pa.types.is_struct(f.type) and {f.type.field(i).name for i in range(f.type.num_fields)} == {
            "bytes",
            "path",
        }:
            inferred[f.name] = {"_type": "Image"}
        else:
            inferred[f.name] = {"dtype": str(f.type), "_type": "Value"}
    return inferred


def _schema(features: dict) -> pa.Schema:
    """The Arrow schema for `datasets` features (Image and string/int Values), with the features as metadata."""
    fields = []
    for name, feat in features.items():
        if feat["_type"] == "Image":
            fields.append(pa.field(name, pa.struct([("bytes", pa.binary()), ("path", pa.string())])))
        elif feat["_type"] == "Value":
            fields.append(pa.field(name, pa.type_for_alias(feat["dtype"])))
        else:
            raise ValueError(
                f"feature {name!r}: only Image and Value features are written, got {feat['_type']!r}"
            )
    meta = {"huggingface": json.dumps({"info": {"features": features}})}
    return pa.schema(fields, metadata=meta)


def _dataset_card(features: dict, tables: dict[str, pa.Table]) -> str:
    """A README whose YAML header lists the features, splits and data files, as the hub writes it."""
    lines = ["---", "dataset_info:", "  features:"]
    for name, feat in features.items():
        lines.append(f"  - name: {name}")
        lines.append("    dtype: image" if feat["_type"] == "Image" else f"    dtype: {feat['dtype']}")
    lines.append("  splits:")
    for split, table in tables.items():
        lines += [f"  - name: {split}", f"    num_examples: {table.num_rows}"]
    lines += ["configs:", "- config_name: default", "  data_files:"]
    for split in tables:
        lines += [f"  - split: {split}", f"    path: data/{split}-*"]
    lines += ["---", "", "Synthetic data written by `paddlemix.datasets.synthetic` in the hub layout.", ""]
    return "\n".join(lines)
