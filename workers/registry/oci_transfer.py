#!/usr/bin/env python3
"""Moves an AOTIScope bundle folder to and from an OCI registry as an artifact, through oras-py.

usage: oci_transfer.py push DIR REF [--insecure]
       oci_transfer.py pull REF DIR [--insecure]

DIR holds aotiscope-bundle.json and blobs named by their SHA-256 (core/share/Bundle.h). Each file becomes one
layer titled with its name; the manifest's config carries the bundle's artifact type, so a pull can refuse
anything else before it writes a byte. Prints one JSON object on stdout: {"ok": true, ...} or
{"ok": false, "error": "..."}; exits 0 or 1. The caller checks every blob against the bundle manifest: this
script only moves files.
"""
import argparse
import contextlib
import json
import os
import re
import sys
import tempfile

ARTIFACT_TYPE = "application/vnd.aotiscope.bundle.v1"
MANIFEST_MEDIA_TYPE = "application/vnd.aotiscope.bundle.manifest.v1+json"
BLOB_MEDIA_TYPE = "application/vnd.aotiscope.bundle.file.v1"
MANIFEST_NAME = "aotiscope-bundle.json"
BLOB_NAME = re.compile(r"^[0-9a-f]{64}$")
TITLE = "org.opencontainers.image.title"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def client(insecure):
    import oras.client

    return oras.client.OrasClient(insecure=insecure)


def push(folder, ref, insecure):
    names = sorted(os.listdir(folder))
    if MANIFEST_NAME not in names:
        raise RuntimeError(f"{folder} holds no {MANIFEST_NAME}")
    unexpected = [n for n in names if n != MANIFEST_NAME and not BLOB_NAME.match(n)]
    if unexpected:
        raise RuntimeError(f"{folder} holds files that are not part of a bundle: {', '.join(unexpected[:5])}")
    files = [f"{MANIFEST_NAME}:{MANIFEST_MEDIA_TYPE}"] + [f"{n}:{BLOB_MEDIA_TYPE}" for n in names if n != MANIFEST_NAME]
    with open(os.path.join(folder, MANIFEST_NAME)) as f:
        source = json.load(f).get("source", {})
    annotations = {
        "org.opencontainers.image.created": str(source.get("created", "")),
        "io.aotiscope.torch": str((source.get("torch") or {}).get("version", "")),
        "io.aotiscope.machine": str(source.get("machine", "")),
    }
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config.json")
        with open(config, "w") as f:
            json.dump({"schema": "aotiscope.bundle/1"}, f)
        cwd = os.getcwd()
        os.chdir(folder)  # oras titles each layer with the path it is given
        try:
            response = client(insecure).push(target=ref, files=files, manifest_config=f"{config}:{ARTIFACT_TYPE}",
                                             manifest_annotations=annotations, quiet=True)
        finally:
            os.chdir(cwd)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"the registry answered {response.status_code} to the manifest: {response.text[:300]}")
    blob_bytes = sum(os.path.getsize(os.path.join(folder, n)) for n in names)
    return {"ref": ref, "files": len(names), "bytes": blob_bytes}


def pull(ref, folder, insecure):
    c = client(insecure)
    container = c.get_container(ref)
    manifest = c.get_manifest(container, allowed_media_type=[OCI_MANIFEST])
    config_type = (manifest.get("config") or {}).get("mediaType")
    if config_type != ARTIFACT_TYPE:
        raise RuntimeError(f"{ref} is not an AOTIScope bundle (its config is {config_type!r}, expected {ARTIFACT_TYPE!r})")
    layers = []
    for layer in manifest.get("layers", []):
        title = (layer.get("annotations") or {}).get(TITLE, "")
        if title != MANIFEST_NAME and not BLOB_NAME.match(title):
            raise RuntimeError(f"{ref} has a layer titled {title!r}: a bundle holds only {MANIFEST_NAME} and blobs named by digest")
        if title != MANIFEST_NAME and layer.get("digest") != "sha256:" + title:
            raise RuntimeError(f"{ref}: layer {title} has digest {layer.get('digest')}, not its name")
        layers.append((title, layer["digest"]))
    if MANIFEST_NAME not in [t for t, _ in layers]:
        raise RuntimeError(f"{ref} has no {MANIFEST_NAME} layer")
    # The layers of the manifest checked above (a second manifest fetch could see a tag moved meanwhile).
    total = 0
    for title, digest in layers:
        path = os.path.join(folder, title)
        c.download_blob(container, digest, path)
        total += os.path.getsize(path)
    return {"ref": ref, "files": len(layers), "bytes": total}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["push", "pull"])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--insecure", action="store_true", help="plain HTTP (a registry on loopback)")
    opts = parser.parse_args()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # oras prints; stdout carries only the result
            if opts.command == "push":
                result = push(opts.a, opts.b, opts.insecure)
            else:
                result = pull(opts.a, opts.b, opts.insecure)
        print(json.dumps({"ok": True, **result}))
        return 0
    except ImportError as e:
        print(json.dumps({"ok": False, "error": f"oras-py is not installed for {sys.executable}: {e}"}))
    except Exception as e:  # a registry that goes away, refuses, or serves something else: said, not raised
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
    return 1


if __name__ == "__main__":
    sys.exit(main())
