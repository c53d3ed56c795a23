#!/usr/bin/env python3
"""Build a real, deterministic OCI image layout from files on this machine (benchmark input).

Usage: make-image.py OUT_DIR [--min-size BYTES] [--docker-archive OUT.tar] [--jobs N] [--force]

Layer 1 holds the OS identity and package database (/etc/os-release -> ../usr/lib/os-release,
/usr/lib/os-release, /etc/debian_version, /var/lib/dpkg/status); further layers take whole
directory trees (see LAYERS) until the uncompressed total reaches --min-size (default 1.3 GB,
never less than 1 GiB is sensible for the benchmark).

Determinism: entries are sorted, mtimes fixed, owners taken as 0/0 root/root, gzip level 6 with
mtime 0 and no file name, so reruns on an unchanged machine give the same digests. Unreadable
files, sockets, FIFOs and device nodes are skipped; symlinks stay symlinks; hard links inside a
layer become tar hard links.

Compression uses Python's zlib (gzip module), measured here on a 271 MB tar of /usr/bin:
python gzip -6 9.8 s, gzip(1) -6 11.9 s, pigz -6 -p2 7.9 s (using both cores). Layers are built
in parallel (--jobs, default = CPU count) so the Python route uses the cores as well as pigz
would, and the output does not depend on which compressor binary happens to be installed.

The output directory is written to OUT_DIR.tmp and renamed when complete; OUT_DIR/.complete marks
it and holds a JSON summary (manifest digest; per layer digest, diff_id, gzip and tar sizes, file
count). If it exists the build is skipped (use --force to rebuild).
"""
import argparse
import concurrent.futures
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import sys
import tarfile
import time

MTIME = 1700000000  # fixed: 2023-11-14T22:13:20Z
CREATED = "2023-11-14T22:13:20Z"

# (created_by, [source paths]) in layer order. Layer 1 is fixed; the rest are added in order
# until --min-size is reached.
BASE_LAYER = ("COPY os-release debian_version dpkg/status /  # bulkhead bench base",
              ["/etc/os-release", "/usr/lib/os-release", "/etc/debian_version",
               "/var/lib/dpkg/status"])
LAYERS = [
    ("COPY /usr/share /usr/share  # bulkhead bench", ["/usr/share"]),
    ("COPY /usr/bin /usr/sbin /usr/  # bulkhead bench", ["/usr/bin", "/usr/sbin"]),
    ("COPY /usr/local /usr/local  # bulkhead bench", ["/usr/local"]),
    ("COPY /usr/lib/gcc /usr/lib/python3* /usr/libexec  # bulkhead bench",
     ["/usr/lib/gcc", "/usr/lib/python3", "/usr/lib/python3.11", "/usr/libexec"]),
    ("COPY /usr/include /usr/include  # bulkhead bench", ["/usr/include"]),
    ("COPY /usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu  # bulkhead bench",
     ["/usr/lib/x86_64-linux-gnu"]),
    ("COPY /usr/lib/jvm /usr/lib/jvm  # bulkhead bench", ["/usr/lib/jvm"]),
    ("COPY /opt /opt  # bulkhead bench", ["/opt"]),
]


def walk(root):
    """Yield absolute paths under root (root included), sorted, not following symlinks."""
    try:
        st = os.lstat(root)
    except OSError:
        return
    yield root
    if not stat.S_ISDIR(st.st_mode):
        return
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return
    for n in names:
        yield from walk(os.path.join(root, n))


def estimate(paths):
    """Approximate uncompressed tar size of the trees (file sizes rounded up + 512 B headers)."""
    total = 0
    seen = set()
    for root in paths:
        for p in walk(root):
            try:
                st = os.lstat(p)
            except OSError:
                continue
            total += 512
            if st.st_nlink > 1:  # hard links are stored once
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
            if stat.S_ISREG(st.st_mode):
                total += (st.st_size + 511) // 512 * 512
    return total


class HashingWriter(io.RawIOBase):
    """File-like sink: sha256 + byte count of what passes through, then forwards it."""

    def __init__(self, inner):
        self.inner, self.h, self.n = inner, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        self.inner.write(b)
        return len(b)


def tarinfo_for(tf, path, st):
    name = path.lstrip("/")
    ti = tarfile.TarInfo(name)
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    if stat.S_ISDIR(st.st_mode):
        ti.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(st.st_mode):
        ti.type = tarfile.SYMTYPE
        ti.linkname = os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        ti.type = tarfile.REGTYPE
        ti.size = st.st_size
    else:
        return None  # device, fifo, socket
    return ti


def build_layer(args):
    """Write one gzip layer blob into tmpdir; return (digest, size, diff_id, uncompressed, files)."""
    idx, paths, tmpdir = args
    tmp = os.path.join(tmpdir, f"layer{idx}.tmp")
    skipped = 0
    files = 0
    with open(tmp, "wb") as raw:
        gz = gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0)
        hw = HashingWriter(gz)
        buf = io.BufferedWriter(hw, 1 << 20)
        tf = tarfile.open(fileobj=buf, mode="w|", format=tarfile.PAX_FORMAT)
        seen_dirs = set()
        inodes = {}

        def add_parents(path):
            parts = path.strip("/").split("/")[:-1]
            cur = ""
            for part in parts:
                cur = cur + "/" + part
                if cur in seen_dirs:
                    continue
                seen_dirs.add(cur)
                st = os.lstat(cur)
                ti = tarinfo_for(tf, cur, st)
                tf.addfile(ti)

        for root in paths:
            for p in walk(root):
                try:
                    st = os.lstat(p)
                except OSError:
                    skipped += 1
                    continue
                if stat.S_ISDIR(st.st_mode) and p in seen_dirs:
                    continue
                ti = tarinfo_for(tf, p, st)
                if ti is None:
                    skipped += 1
                    continue
                if ti.type == tarfile.REGTYPE:
                    try:
                        f = open(p, "rb")
                    except OSError:
                        skipped += 1
                        continue
                    with f:
                        key = (st.st_dev, st.st_ino)
                        add_parents(p)
                        if st.st_nlink > 1 and key in inodes:
                            ti.type = tarfile.LNKTYPE
                            ti.linkname = inodes[key]
                            ti.size = 0
                            tf.addfile(ti)
                        else:
                            if st.st_nlink > 1:
                                inodes[key] = ti.name
                            # Read exactly st_size bytes; pad if the file shrank meanwhile.
                            data = _Exact(f, st.st_size)
                            tf.addfile(ti, data)
                            files += 1
                else:
                    add_parents(p)
                    if ti.type == tarfile.DIRTYPE:
                        seen_dirs.add(p)
                    tf.addfile(ti)
        tf.close()
        buf.flush()
        gz.close()
    h = hashlib.sha256()
    with open(tmp, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    os.rename(tmp, os.path.join(tmpdir, "blobs", "sha256", digest))
    return digest, os.path.getsize(os.path.join(tmpdir, "blobs", "sha256", digest)), \
        hw.h.hexdigest(), hw.n, files, skipped


class _Exact:
    """Reader that yields exactly n bytes from f (zero-padded if f is shorter)."""

    def __init__(self, f, n):
        self.f, self.left = f, n

    def read(self, size=-1):
        if self.left <= 0:
            return b""
        if size < 0 or size > self.left:
            size = self.left
        b = self.f.read(size)
        if not b:
            b = b"\0" * size
        self.left -= len(b)
        return b


def write_blob(tmpdir, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(tmpdir, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return d, len(data)


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def docker_archive(outdir, manifest, config_digest, out_tar):
    """docker save-style tar (Docker >= 25 layout: OCI layout plus manifest.json)."""
    layers = ["blobs/sha256/" + l["digest"].split(":")[1] for l in manifest["layers"]]
    mj = [{"Config": "blobs/sha256/" + config_digest, "RepoTags": ["bulkhead-bench:latest"],
           "Layers": layers}]
    tmp = out_tar + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tf:
        def add_bytes(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), MTIME, 0o644
            tf.addfile(ti, io.BytesIO(data))
        add_bytes("manifest.json", dumps(mj))
        for name in ("oci-layout", "index.json"):
            with open(os.path.join(outdir, name), "rb") as f:
                add_bytes(name, f.read())
        for d in sorted(os.listdir(os.path.join(outdir, "blobs", "sha256"))):
            p = os.path.join(outdir, "blobs", "sha256", d)
            ti = tarinfo_for(tf, p, os.stat(p))
            ti.name = "blobs/sha256/" + d
            ti.mode = 0o644
            with open(p, "rb") as f:
                tf.addfile(ti, f)
    os.rename(tmp, out_tar)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--min-size", type=int, default=1_300_000_000,
                    help="minimum uncompressed size in bytes (default 1.3e9)")
    ap.add_argument("--docker-archive", metavar="TAR")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()

    out = a.out.rstrip("/")
    if os.path.exists(os.path.join(out, ".complete")) and not a.force:
        print(f"make-image: {out} is complete, not rebuilding", file=sys.stderr)
    else:
        build(out, a)
    if a.docker_archive and (a.force or not os.path.exists(a.docker_archive)):
        t = time.time()
        with open(os.path.join(out, "index.json")) as f:
            idx = json.load(f)
        mdig = idx["manifests"][0]["digest"].split(":")[1]
        with open(os.path.join(out, "blobs", "sha256", mdig)) as f:
            manifest = json.load(f)
        docker_archive(out, manifest, manifest["config"]["digest"].split(":")[1], a.docker_archive)
        print(f"make-image: wrote {a.docker_archive} in {time.time() - t:.1f} s", file=sys.stderr)


def build(out, a):
    t0 = time.time()
    tmpdir = out + ".tmp"
    shutil.rmtree(tmpdir, ignore_errors=True)
    os.makedirs(os.path.join(tmpdir, "blobs", "sha256"))

    # Choose layers: base + trees in order until the estimate reaches min-size.
    chosen = [BASE_LAYER]
    sizes = [estimate(BASE_LAYER[1])]
    total = sizes[0]
    for created_by, paths in LAYERS:
        if total >= a.min_size:
            break
        paths = [p for p in paths if os.path.lexists(p)]
        if not paths:
            continue
        sizes.append(estimate(paths))
        total += sizes[-1]
        chosen.append((created_by, paths))
    if total < a.min_size:
        print(f"make-image: warning: only ~{total / 1e9:.2f} GB of input found", file=sys.stderr)

    # Largest layers first so the workers finish at about the same time.
    order = sorted(range(len(chosen)), key=lambda i: -sizes[i])
    results = [None] * len(chosen)
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {ex.submit(build_layer, (i, chosen[i][1], tmpdir)): i for i in order}
        for fut in concurrent.futures.as_completed(futs):
            results[futs[fut]] = fut.result()

    layers, diff_ids, history = [], [], []
    for (created_by, paths), (digest, size, diff_id, usize, files, skipped) in zip(chosen, results):
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + digest, "size": size})
        diff_ids.append("sha256:" + diff_id)
        history.append({"created": CREATED, "created_by": created_by})
        print(f"make-image: layer {len(layers)}: {usize / 1e6:8.1f} MB tar, {size / 1e6:7.1f} MB gz, "
              f"{files} files, {skipped} skipped  {' '.join(paths)}", file=sys.stderr)

    config = {
        "architecture": "amd64", "os": "linux", "created": CREATED,
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/bash"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    cdig, csize = write_blob(tmpdir, dumps(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + cdig, "size": csize},
        "layers": layers,
    }
    mdig, msize = write_blob(tmpdir, dumps(manifest))
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + mdig, "size": msize,
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }
    with open(os.path.join(tmpdir, "index.json"), "wb") as f:
        f.write(dumps(index))
    with open(os.path.join(tmpdir, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))
    # The marker doubles as a summary for bench/scan.sh (tools ignore extra dotfiles).
    info = {"manifest": "sha256:" + mdig,
            "layers": [{"digest": l["digest"], "diff_id": d, "size": l["size"], "uncompressed": r[3],
                        "files": r[4], "created_by": c}
                       for l, d, r, (c, _) in zip(layers, diff_ids, results, chosen)]}
    with open(os.path.join(tmpdir, ".complete"), "wb") as f:
        f.write(json.dumps(info, indent=1).encode() + b"\n")
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmpdir, out)
    usize = sum(r[3] for r in results)
    gsize = sum(r[1] for r in results)
    print(f"make-image: {out}: manifest sha256:{mdig}, {len(layers)} layers, "
          f"{usize / 1e9:.2f} GB uncompressed, {gsize / 1e9:.2f} GB gzip, "
          f"built in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
