#!/usr/bin/env bash
# meta.sh — the PGXN release: META.json against the PGXN Meta Spec 1.0.0
# (https://pgxn.org/spec/), and the archive `make dist` makes from it.
#   1. META.json parses as JSON; it has every key the spec's "Required
#      Fields" lists (name, version, abstract, maintainer, license, provides,
#      meta-spec) with the spec's type, every other key is one of its
#      "Optional Fields" or a custom key (x_ or X_, "Structure"); versions
#      are SemVer 2.0.0 ("Version Format"), prerequisites Version Ranges
#      ("Version Ranges"), the license a License String of the spec's list
#      ("license"), meta-spec's version 1.0.0;
#   2. version and provides' qrpay version are qrpay.control's
#      default_version, and the files provides names exist;
#   3. `make dist` builds qrpay-VERSION.zip: one top directory
#      qrpay-VERSION/ with META.json at its top (HEAD's), exactly the files
#      git tracks at HEAD (no build output, nothing untracked), and the
#      checks of 1 and 2 pass on the unpacked archive; the PGXN client
#      (pgxnclient) reads the same metadata from it.
# No server.  Needs python3 (standard library only) and git.
#
#   bash test/meta.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=cluster.sh
. test/cluster.sh
qrpay_deps python3 pgxnclient git
# Debian's python3, the one pgxnclient is installed for; standard library only
python=/usr/bin/python3

version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" qrpay.control)
if [ -z "$version" ]; then
	echo "qrpay.control has no default_version" >&2
	exit 1
fi

# check_meta META.json ROOT NAME: the checks of 1 and 2, the files looked up
# under ROOT, NAME the file's name in messages
check_meta() {
	"$python" - "$1" "$2" "$version" "$3" <<'PY'
import json, os, re, sys
from urllib.parse import urlparse

path, root, control_version, label = sys.argv[1:5]
errors = []

def err(msg):
    errors.append(msg)

# "Version Format": Semantic Versioning 2.0.0 (the regular expression semver.org suggests)
SEMVER = (r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
          r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
          r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
# "Version Ranges": a version or 0, optionally after an operator, AND-ed with commas
RANGE_PART = r"(?:(?:[<>]=?|[=!]=)\s*)?(?:%s|0)" % SEMVER
# "License String": the spec's two tables under "license"
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
            "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
            "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
            "postgresql", "qpl_1_0", "ssleay", "sun", "zlib",
            "open_source", "restricted", "unrestricted", "unknown"}
REQUIRED = ["name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"]
OPTIONAL = ["description", "generated_by", "tags", "no_index", "prereqs", "release_status", "resources"]
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONSHIPS = {"requires", "recommends", "suggests", "conflicts"}

def custom(key):  # "Structure": custom keys match /\Ax_/i
    return re.match(r"[xX]_", key) is not None

def string(v):  # "String": a non-zero length sequence of characters
    return isinstance(v, str) and len(v) > 0

def term(v):  # "Term": two characters or more, no slash, backslash, control or space character
    return string(v) and len(v) >= 2 and not re.search(r"[/\\\s\x00-\x1f\x7f]", v)

def tag(v):  # "Tag": fewer than 256 characters, no slash, backslash, control or space character
    return string(v) and len(v) < 256 and not re.search(r"[/\\\s\x00-\x1f\x7f]", v)

def semver(v):
    return isinstance(v, str) and re.fullmatch(SEMVER, v) is not None

def version_range(v):
    return v == 0 or (isinstance(v, str) and
                      re.fullmatch(r"%s(?:\s*,\s*%s)*" % (RANGE_PART, RANGE_PART), v.strip()) is not None)

def uri(v):
    u = urlparse(v) if string(v) else None
    return u is not None and bool(u.scheme) and bool(u.netloc or u.path)

def unix_path(v):  # a relative path with unix conventions
    return string(v) and not v.startswith("/") and "\\" not in v and ".." not in v.split("/")

def string_list(v):  # "List of one or more Strings"; a String counts as a List of one
    return string(v) or (isinstance(v, list) and len(v) > 0 and all(string(x) for x in v))

def unknown_keys(where, obj, known):
    for k in obj:
        if k not in known and not custom(k):
            err("%s: key %r is not in the spec and is not a custom key (x_...)" % (where, k))

def exists(where, rel):
    if not os.path.isfile(os.path.join(root, rel)):
        err("%s: %s does not exist" % (where, rel))
        if where == "provides.qrpay.file":
            base = sorted(f for f in os.listdir(os.path.join(root, "sql"))
                          if re.fullmatch(r"qrpay--[0-9.]+\.sql", f))
            err("  (PGXN's provides names the install script of %s; CREATE EXTENSION qrpay "
                "now starts from %s and runs the update scripts)" % (control_version, ", ".join(base) or "nothing"))

try:
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
except (OSError, ValueError) as e:
    sys.exit("%s: not valid JSON: %s" % (label, e))
if not isinstance(meta, dict):
    sys.exit("%s: not a JSON object (the spec's metadata structure is a Map)" % label)

for k in REQUIRED:
    if k not in meta:
        err("required key %r is missing" % k)
unknown_keys("top level", meta, REQUIRED + OPTIONAL)

# --- Required Fields
if "name" in meta and not term(meta["name"]):
    err("name: not a Term: %r" % meta.get("name"))
if meta.get("name") != "qrpay":
    err("name: %r, the release is named qrpay" % meta.get("name"))
if "version" in meta and not semver(meta["version"]):
    err("version: not a SemVer version: %r" % meta["version"])
if meta.get("version") != control_version:
    err("version: %r, qrpay.control's default_version is %r" % (meta.get("version"), control_version))
if "abstract" in meta and not string(meta["abstract"]):
    err("abstract: not a non-empty String")
if "maintainer" in meta and not string_list(meta["maintainer"]):
    err("maintainer: not a List of one or more Strings")

lic = meta.get("license")
if isinstance(lic, dict):
    if not lic:
        err("license: an empty Map")
    for name, link in lic.items():
        if not string(name) or not uri(link):
            err("license: %r: the value must be a URI" % name)
elif "license" in meta:
    names = [lic] if isinstance(lic, str) else lic
    if not isinstance(names, list) or not names:
        err("license: neither a Map nor a List of one or more License Strings")
    else:
        for name in names:
            if name not in LICENSES:
                err("license: %r is not a License String the spec lists" % (name,))

provides = meta.get("provides")
if "provides" in meta:
    if not isinstance(provides, dict) or not provides:
        err("provides: not a Map of one or more extensions")
        provides = {}
    for ext, data in provides.items():
        where = "provides.%s" % ext
        if not term(ext):
            err("%s: the extension's name is not a Term" % where)
        if not isinstance(data, dict):
            err("%s: not a Map" % where)
            continue
        unknown_keys(where, data, ["file", "version", "abstract", "docfile"])
        for k in ("file", "version"):
            if k not in data:
                err("%s: required key %r is missing" % (where, k))
        if "version" in data and not semver(data["version"]):
            err("%s.version: not a SemVer version: %r" % (where, data["version"]))
        if "abstract" in data and not string(data["abstract"]):
            err("%s.abstract: not a non-empty String" % where)
        for k in ("file", "docfile"):
            if k in data:
                if not unix_path(data[k]):
                    err("%s.%s: not a relative path with unix conventions: %r" % (where, k, data[k]))
                else:
                    exists("%s.%s" % (where, k), data[k])
    if "qrpay" not in provides:
        err("provides: the extension qrpay is missing")
    else:
        q = provides["qrpay"]
        if isinstance(q, dict):
            if q.get("version") != control_version:
                err("provides.qrpay.version: %r, qrpay.control's default_version is %r"
                    % (q.get("version"), control_version))
            want = "sql/qrpay--%s.sql" % control_version
            if q.get("file") != want:
                err("provides.qrpay.file: %r, the install script of %s is %s"
                    % (q.get("file"), control_version, want))

ms = meta.get("meta-spec")
if "meta-spec" in meta:
    if not isinstance(ms, dict):
        err("meta-spec: not a Map")
    else:
        unknown_keys("meta-spec", ms, ["version", "url"])
        if ms.get("version") != "1.0.0":
            err("meta-spec.version: %r, not 1.0.0" % ms.get("version"))
        if "url" in ms and not uri(ms["url"]):
            err("meta-spec.url: not a URI")

# --- Optional Fields
for k in ("description", "generated_by"):
    if k in meta and not string(meta[k]):
        err("%s: not a non-empty String" % k)
if "tags" in meta:
    tags = [meta["tags"]] if isinstance(meta["tags"], str) else meta["tags"]
    if not isinstance(tags, list) or not tags:
        err("tags: not a List of Tags")
    for t in tags if isinstance(tags, list) else []:
        if not tag(t):
            err("tags: %r is not a Tag (under 256 characters, no slash, backslash, control or space)" % (t,))
if "no_index" in meta:
    ni = meta["no_index"]
    if not isinstance(ni, dict):
        err("no_index: not a Map")
    else:
        unknown_keys("no_index", ni, ["file", "directory"])
        for k, isa in (("file", os.path.isfile), ("directory", os.path.isdir)):
            paths = [ni[k]] if isinstance(ni.get(k), str) else ni.get(k, [])
            for p in paths if isinstance(paths, list) else [None]:
                if not unix_path(p):
                    err("no_index.%s: not a relative path with unix conventions: %r" % (k, p))
                elif not isa(os.path.join(root, p)):
                    err("no_index.%s: %s does not exist" % (k, p))
if "prereqs" in meta:
    pr = meta["prereqs"]
    if not isinstance(pr, dict):
        err("prereqs: not a Map")
        pr = {}
    unknown_keys("prereqs", pr, PHASES)
    for phase, rels in pr.items():
        if custom(phase):
            continue
        if not isinstance(rels, dict):
            err("prereqs.%s: not a Map" % phase)
            continue
        unknown_keys("prereqs.%s" % phase, rels, RELATIONSHIPS)
        for rel, exts in rels.items():
            if custom(rel):
                continue
            if not isinstance(exts, dict):
                err("prereqs.%s.%s: not a Map of extensions to Version Ranges" % (phase, rel))
                continue
            for ext, rng in exts.items():
                if not term(ext):
                    err("prereqs.%s.%s: %r is not a Term" % (phase, rel, ext))
                if not version_range(rng):
                    err("prereqs.%s.%s.%s: not a Version Range: %r" % (phase, rel, ext, rng))
    pg = pr.get("runtime", {}).get("requires", {}).get("PostgreSQL") if isinstance(pr.get("runtime"), dict) else None
    if pg is None:
        err("prereqs.runtime.requires.PostgreSQL: missing")
if "release_status" in meta and meta["release_status"] not in ("stable", "testing", "unstable"):
    err("release_status: %r is not stable, testing or unstable" % meta["release_status"])
if "resources" in meta:
    res = meta["resources"]
    if not isinstance(res, dict):
        err("resources: not a Map")
    else:
        unknown_keys("resources", res, ["homepage", "bugtracker", "repository"])
        if "homepage" in res and not uri(res["homepage"]):
            err("resources.homepage: not a URI")
        for k, subkeys in (("bugtracker", ["web", "mailto"]), ("repository", ["url", "web", "type"])):
            if k in res:
                if not isinstance(res[k], dict):
                    err("resources.%s: not a Map" % k)
                    continue
                unknown_keys("resources.%s" % k, res[k], subkeys)
                for sk in ("url", "web"):
                    if sk in res[k] and not uri(res[k][sk]):
                        err("resources.%s.%s: not a URI" % (k, sk))

if errors:
    print("%s: not valid against the PGXN Meta Spec 1.0.0, or not this release's:" % label, file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)
print("%s: valid (PGXN Meta Spec 1.0.0), qrpay %s" % (label, meta["version"]))
PY
}

status=0
check_meta META.json . META.json || status=1

# --- the release archive (3.)
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	if [ -n "${CI:-}" ]; then
		echo "not a git checkout: make dist archives the repository (git archive), the archive cannot be checked" >&2
		exit 1
	fi
	echo "not a git checkout (an unpacked release, say): the archive checks need the repository and did not run"
	exit "$status"
fi
if ! git diff --quiet HEAD -- META.json 2>/dev/null; then
	echo "note: META.json differs from HEAD's; make dist archives HEAD"
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/qrpay-meta.XXXXXX")
trap 'rm -rf "$dir"' EXIT
make -s dist DISTDIR="$dir" >/dev/null
zip=$dir/qrpay-$version.zip
git ls-tree -r --name-only -z HEAD >"$dir/tracked"
if ! git show HEAD:META.json >"$dir/head-META.json" 2>/dev/null; then
	echo "META.json is not committed: make dist archives HEAD, which has none" >&2
	exit 1
fi
if "$python" - "$zip" "qrpay-$version/" "$dir" <<'PY'; then
import os, sys, zipfile
zip, top, out = sys.argv[1:4]
tracked = set(open(os.path.join(out, "tracked"), "rb").read().decode("utf-8").split("\0")) - {""}
errors = []
with zipfile.ZipFile(zip) as z:
    names = z.namelist()
    outside = [n for n in names if not n.startswith(top)]
    if outside:
        errors.append("entries outside %s: %s" % (top, ", ".join(outside[:5])))
    files = {n[len(top):] for n in names if n.startswith(top) and not n.endswith("/")}
    if "META.json" not in files:
        errors.append("no %sMETA.json" % top)
    elif z.read(top + "META.json") != open(os.path.join(out, "head-META.json"), "rb").read():
        errors.append("%sMETA.json is not HEAD's META.json" % top)
    for n in sorted(files - tracked):
        errors.append("not tracked by git at HEAD: %s" % n)
    for n in sorted(tracked - files):
        errors.append("tracked by git at HEAD, missing from the archive: %s" % n)
    z.extractall(os.path.join(out, "x"))
with open(os.path.join(out, "files"), "w", encoding="utf-8") as f:
    f.write("".join(n + "\n" for n in sorted(files)))
if errors:
    print("%s:" % os.path.basename(zip), file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)
print("%s: %d files under %s, META.json at its top, exactly HEAD's tracked files"
      % (os.path.basename(zip), len(files), top))
PY
	# build output is what .gitignore names (objects, results, test/build ...):
	# none of it may be in the archive, even if committed by mistake
	rc=0
	built=$(git check-ignore --no-index --stdin <"$dir/files") || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "qrpay-$version.zip holds build output (.gitignore's patterns):" >&2
		echo "$built" >&2
		status=1
	elif [ "$rc" -ne 1 ]; then
		echo "git check-ignore failed" >&2
		status=1
	fi
	if grep -E '\.zip$' "$dir/files" >&2; then
		echo "qrpay-$version.zip holds the archives above" >&2
		status=1
	fi
	check_meta "$dir/x/qrpay-$version/META.json" "$dir/x/qrpay-$version" \
		"qrpay-$version.zip:qrpay-$version/META.json" || status=1
	# the PGXN client reads the archive's metadata as this test does
	"$python" - "$zip" "$dir/x/qrpay-$version/META.json" <<'PY' || status=1
import json, sys
from pgxnclient.archive import from_file
zip, meta = sys.argv[1:3]
got = from_file(zip).get_meta()
if got != json.load(open(meta, encoding="utf-8")):
    sys.exit("pgxnclient reads other metadata from %s" % zip)
print("pgxnclient reads %s %s, extensions %s" % (got["name"], got["version"], ", ".join(sorted(got["provides"]))))
PY
else
	status=1
fi
exit "$status"
