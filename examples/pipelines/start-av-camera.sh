# Sourced by the headless tests after start-server.sh: starts a camera that
# sends H.264 video and Opus audio (stopped with the server), and keeps the
# viewers the tests run off the local network and the user's
# known-cameras file.
LAN=false
XDG_CONFIG_HOME=$STATE/config
export LAN XDG_CONFIG_HOME

gst-launch-1.0 -q videotestsrc is-live=true ! \
    video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! \
        cam.video \
    audiotestsrc is-live=true ! opusenc ! cam.audio \
    p2psink name=cam uid="$DEVICE_UID" key-file="$KEY_FILE" server="$SERVER" \
        password="$PASSWORD" lan=false > "$STATE/camera.log" 2>&1 &
pids="$pids $!"
