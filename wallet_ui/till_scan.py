"""The till's camera scan of the wallet card's QR code: the browser's own APIs only
(`getUserMedia` for the camera, `BarcodeDetector` for the QR), run by `rx.call_script`.
Nothing is downloaded: where the browser lacks either API the till offers the typed code
only. The scan's script resolves (never rejects: an error would reach the page raw) with
one outcome for `TillState.scanned`, read by `till_api.scan_result`:
`{outcome: "found", text}`, `"unavailable"` (no camera, refused, no API), `"timeout"`
(no QR within SCAN_SECONDS) or `"cancelled"`."""
from __future__ import annotations

SCAN_SECONDS = 60  # the camera is stopped after this long without a code
SCANS_PER_SECOND = 4
VIDEO_ID = "scan-video"

# Whether this browser can scan at all (feature detection, nothing asked of the person yet).
CAN_SCAN = "!!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.BarcodeDetector)"

# Stops a scan under way (Cancel): the camera goes off at once, the scan resolves "cancelled".
STOP_SCAN = "window.tillScan && window.tillScan.stop()"

SCAN = """(async () => {
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const stopTracks = (stream) => { if (stream) { stream.getTracks().forEach((track) => track.stop()); } };
  if (window.tillScan) { window.tillScan.stop(); }
  const scan = { stopped: false, stream: null };
  scan.stop = () => { scan.stopped = true; stopTracks(scan.stream); };
  window.tillScan = scan;
  let video = null;
  const end = (result) => {
    stopTracks(scan.stream);
    if (video) { video.srcObject = null; }
    if (window.tillScan === scan) { window.tillScan = null; }
    return result;
  };
  try {
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.BarcodeDetector)) {
      return end({ outcome: "unavailable" });
    }
    for (let tries = 0; tries < 100 && !scan.stopped && !(video = document.getElementById("VIDEO_ID")); tries++) {
      await wait(50);
    }
    if (scan.stopped) { return end({ outcome: "cancelled" }); }
    if (!video) { return end({ outcome: "unavailable" }); }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (refused) {
      return end({ outcome: scan.stopped ? "cancelled" : "unavailable" });
    }
    scan.stream = stream;
    if (scan.stopped || !video.isConnected) { return end({ outcome: "cancelled" }); }
    video.srcObject = stream;
    try { await video.play(); } catch (notYet) { /* autoplay starts it once there is a frame */ }
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const until = Date.now() + SCAN_SECONDS * 1000;
    while (Date.now() < until) {
      if (scan.stopped || !video.isConnected) { return end({ outcome: "cancelled" }); }
      if (stream.getVideoTracks().every((track) => track.readyState === "ended")) {
        return end({ outcome: "unavailable" });
      }
      if (video.readyState >= 2) {
        let codes = [];
        try { codes = await detector.detect(video); } catch (unreadable) { codes = []; }
        const code = (codes || []).find((found) => found && found.rawValue);
        if (code && !scan.stopped) { return end({ outcome: "found", text: String(code.rawValue) }); }
      }
      await wait(EVERY_MS);
    }
    return end({ outcome: "timeout" });
  } catch (failed) {
    return end({ outcome: "unavailable" });
  }
})()""".replace("VIDEO_ID", VIDEO_ID).replace("SCAN_SECONDS", str(SCAN_SECONDS)).replace(
    "EVERY_MS", str(1000 // SCANS_PER_SECOND))
