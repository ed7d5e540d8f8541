#!/usr/bin/env bash
# Builds the file tree that the relay's container image has besides the application (which Jib
# adds under /app): a Java runtime made with jlink from the build JDK, the shared libraries that
# runtime needs, copied from this machine, and a few files under /etc. Jib then puts this tree on
# top of the empty "scratch" image, so building the image needs no registry and no Docker engine.
#
#   build-rootfs.sh JAVA_HOME RELAY_JAR OUT_DIR [EXTRA_MODULES]
#
# JAVA_HOME      the JDK whose jmods/ make the runtime (Maven passes ${java.home}); the image's
#                Java is this JDK's version and the build machine's architecture
# RELAY_JAR      the relay's runnable jar, scanned by jdeps for the JDK modules it uses and for
#                the native libraries its dependencies unpack at run time (zstd, lz4, snappy)
# OUT_DIR        emptied, then filled: OUT_DIR/opt/java, OUT_DIR/lib*, OUT_DIR/etc, OUT_DIR/tmp
# EXTRA_MODULES  comma-separated modules added to what jdeps finds (default below)
#
# Run on Linux (glibc) with ldd; the libraries come from the build machine, so the image carries
# the build machine's glibc (Debian 12 here: glibc 2.36).
set -euo pipefail

java_home=${1:?JAVA_HOME}
relay_jar=${2:?RELAY_JAR}
out=${3:?OUT_DIR}
# jdk.crypto.ec: elliptic-curve TLS (Kafka and database connections over TLS); jdeps cannot see
# it because nothing links to it, the TLS provider lookup finds it at run time.
extra_modules=${4:-jdk.crypto.ec}

log() { printf '[image] %s\n' "$*"; }
die() { printf '[image] ERROR: %s\n' "$*" >&2; exit 1; }

[ -x "$java_home/bin/jlink" ] || die "no jlink in $java_home/bin: the image needs a full JDK"
[ -d "$java_home/jmods" ] || die "no $java_home/jmods: install the JDK's jmods (Debian: openjdk-17-jmods)"
[ -f "$relay_jar" ] || die "no $relay_jar: build the relay jar first (mvn package)"
command -v ldd >/dev/null || die "no ldd: the image is built on Linux with glibc"

case "$out" in
  */target/*) ;;
  *) die "refusing to empty $out: OUT_DIR must be under a target/ directory" ;;
esac
rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp"

# 1. Which JDK modules: what jdeps finds in the jar (all dependencies included), plus extras.
log "jdeps: finding the JDK modules used by $(basename "$relay_jar")"
modules=$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps \
  --multi-release "$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = //p')" "$relay_jar" | tail -1)
[ -n "$modules" ] || die "jdeps found no modules"
modules="$modules,$extra_modules"
log "modules: $modules"

# 2. The runtime. java.desktop is in the list (java.beans, used by dependencies), but the relay
# is headless: its GUI, font, image and sound libraries are left out, and with them the X11,
# freetype, lcms, jpeg and ALSA libraries they would drag in.
log "jlink: runtime into /opt/java"
"$java_home/bin/jlink" \
  --add-modules "$modules" \
  --strip-debug --no-header-files --no-man-pages --compress=2 \
  --exclude-files='**/libawt_xawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/liblcms.so,**/libjavajpeg.so,**/libjawt.so' \
  --output "$out/opt/java"
# jlink links legal/<module>/ files to java.base's copies; the image gets plain files.
find "$out/opt/java" -type l | while read -r link; do
  target=$(readlink -f "$link")
  rm "$link"
  cp "$target" "$link"
done

# 3. Shared libraries: everything ldd resolves outside the runtime for the launcher, every
# library of the runtime and the Linux native libraries the jar's dependencies unpack.
natives=$(mktemp -d)
trap 'rm -rf "$natives"' EXIT
case "$(uname -m)" in
  x86_64) arch_re='(amd64|x86_64)' ;;
  aarch64) arch_re='(aarch64|arm64)' ;;
  *) arch_re="$(uname -m)" ;;
esac
mapfile -t native_entries < <(unzip -Z1 "$relay_jar" | grep -Ei "(^|/)linux/$arch_re/[^/]*\.so$" || true)
if [ ${#native_entries[@]} -gt 0 ]; then
  unzip -q -o "$relay_jar" "${native_entries[@]}" -d "$natives"
fi
mapfile -t elves < <(
  echo "$out/opt/java/bin/java"
  find "$out/opt/java" -name '*.so' -type f
  find "$natives" -name '*.so' -type f
)
declare -A libs=()
missing=()
for elf in "${elves[@]}"; do
  while read -r line; do
    case "$line" in
      *"=> not found"*)
        name=${line%% =>*}
        # resolved at run time inside the runtime (libjvm.so is found by the launcher first)
        if [ -z "$(find "$out/opt/java" -name "$name" -print -quit)" ]; then
          missing+=("$name (needed by ${elf#"$out"})")
        fi
        ;;
      *"=> /"*)
        path=${line#*=> }
        path=${path%% (*}
        case "$path" in "$out"/* | "$natives"/*) ;; *) libs[$path]=1 ;; esac
        ;;
      /*)
        path=${line%% (*} # the ELF interpreter, /lib64/ld-linux-x86-64.so.2
        libs[$path]=1
        ;;
    esac
  done < <(ldd "$elf" 2>/dev/null | sed 's/^[[:space:]]*//')
done
[ ${#missing[@]} -eq 0 ] || die "libraries not found on this machine: ${missing[*]}"
# glibc loads libgcc_s at run time (thread cancellation, unwinding) without a DT_NEEDED entry
for extra in /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/aarch64-linux-gnu/libgcc_s.so.1; do
  [ -f "$extra" ] && libs[$extra]=1
done
for lib in "${!libs[@]}"; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib" # a real file at the path the loader looks for (no symlinks)
done
log "shared libraries: $(printf '%s\n' "${!libs[@]}" | sort | xargs -n1 basename | xargs)"

# The C.UTF-8 locale (LANG in the image): without it glibc falls back to ASCII and Java prints
# every non-ASCII character, like the arrows of the relay's error messages, as '?'.
[ -d /usr/lib/locale/C.utf8 ] || die "no /usr/lib/locale/C.utf8 on this machine (Debian: libc-bin)"
mkdir -p "$out/usr/lib/locale"
cp -rL /usr/lib/locale/C.utf8 "$out/usr/lib/locale/"

# 4. /etc: the relay's user (uid 10001, no login, home /tmp), name service lookups from
# /etc/hosts then DNS (the container runtime mounts /etc/hosts and /etc/resolv.conf).
cat > "$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
waybill:x:10001:10001:Waybill relay:/tmp:/sbin/nologin
EOF
cat > "$out/etc/group" <<'EOF'
root:x:0:
waybill:x:10001:
EOF
cat > "$out/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF

# 5. Smoke test of the runtime on this machine before Jib packs it.
"$out/opt/java/bin/java" -version 2>&1 | head -1 | sed 's/^/[image] runtime: /'
log "rootfs: $(du -sh "$out" | cut -f1) in $out"
