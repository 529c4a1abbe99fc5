#!/usr/bin/env bash
# Print udev rules giving each USB-RS485 adapter plugged in now a stable /dev/ttyQANATn.
#
#   deploy/map-adapters.sh > /etc/udev/rules.d/99-qanat-rs485-local.rules
#
# Adapters with a serial number (FTDI, CP210x) are matched by vendor, product and serial,
# so they keep their name in any USB socket; CH340 adapters have no serial and are
# matched by the USB socket (KERNELS), so keep them in the socket they were mapped in.
# Numbering follows the sorted match keys, so re-running with the same adapters gives
# the same names. SYSFS (default /sys) may point at a copy of sysfs.
set -euo pipefail
SYSFS="${SYSFS:-/sys}"
known='^(1a86:7523|1a86:5523|0403:6001|0403:6010|0403:6011|0403:6014|0403:6015|10c4:ea60|10c4:ea70|10c4:ea71)$'

lines=()
for tty in "$SYSFS"/class/tty/ttyUSB* "$SYSFS"/class/tty/ttyACM*; do
    [[ -e "$tty/device" ]] || continue
    dev="$(readlink -f "$tty/device")"
    while [[ "$dev" != / && ! -f "$dev/idVendor" ]]; do dev="$(dirname "$dev")"; done
    [[ -f "$dev/idVendor" ]] || continue
    vendor="$(cat "$dev/idVendor")"; product="$(cat "$dev/idProduct")"
    [[ "$vendor:$product" =~ $known ]] || continue
    serial="$(cat "$dev/serial" 2>/dev/null || true)"
    if [[ -n "$serial" ]]; then
        key="ATTRS{serial}==\"$serial\""
    else
        key="KERNELS==\"$(basename "$dev")\""
    fi
    lines+=("SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"$vendor\", ATTRS{idProduct}==\"$product\", $key|$(basename "$tty") $vendor:$product ${serial:-no serial, socket $(basename "$dev")}")
done

echo "# Written by deploy/map-adapters.sh on $(date -u +%FT%TZ); edit freely."
n=0
while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    echo "${line%%|*}, SYMLINK+=\"ttyQANAT$n\"  # ${line#*|}"
    n=$((n + 1))
done < <(printf '%s\n' "${lines[@]+"${lines[@]}"}" | sort)
[[ $n -gt 0 ]] || echo "# no USB-RS485 adapter (CH340, FTDI, CP210x) was plugged in" >&2
