// sharpcam app: the live picture over WebRTC (before | after side by side in one stream, shown as a split),
// the strength slider, and the pipeline's stats. Every request carries the token the page was served with.
"use strict";

const token = document.querySelector('meta[name="sharpcam-token"]').content;
const $ = (id) => document.getElementById(id);
const STATS_EVERY_MS = 500;

function api(path, body) {
  const init = { headers: { "X-Sharpcam-Token": token } };
  if (body !== undefined) {
    Object.assign(init, { method: "POST", body: JSON.stringify(body) });
    init.headers["Content-Type"] = "application/json";
  }
  return fetch(path, init).then((r) => {
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return r.json();
  });
}

// video ------------------------------------------------------------------------------------------------
function iceGathered(pc) {  // the server takes one offer with all candidates (no trickle)
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((done) => pc.addEventListener("icegatheringstatechange",
    () => pc.iceGatheringState === "complete" && done()));
}

let peer = null;  // the connection the picture comes on: receive-only, or carrying this browser's camera too

async function connect(camera = null) {
  const pc = new RTCPeerConnection();
  if (camera) {  // the camera goes to sharpcam and its result comes back on the same connection
    pc.addTransceiver(camera, { direction: "sendrecv", streams: [new MediaStream([camera])] });
  } else {
    pc.addTransceiver("video", { direction: "recvonly" });
  }
  pc.addEventListener("track", (event) => {
    const stream = new MediaStream([event.track]);
    for (const video of [$("before"), $("after")]) video.srcObject = stream;
  });
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "failed") showError("the video connection failed; reload the page");
  });
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const offer = pc.localDescription.toJSON();
  if (camera) offer.fps = camera.getSettings().frameRate;
  await pc.setRemoteDescription(await api(camera ? "api/camera" : "api/offer", offer));
  if (peer) peer.close();  // the previous connection (closing a camera's ends its session on the server)
  peer = window.sharpcamPeer = pc;  // for the tests and the curious: chrome://webrtc-internals shows the same
}

// this browser's camera: 480p asked, its detail kept (the browser lowers the frame rate, not the resolution,
// under load: the model's effect is in the detail)
async function useBrowserCamera() {
  const stream = await navigator.mediaDevices.getUserMedia(
    { video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  const [camera] = stream.getVideoTracks();
  camera.contentHint = "detail";
  $("local").srcObject = stream;
  $("local").hidden = false;
  await connect(camera);
}

$("browser-camera").addEventListener("click", () =>
  useBrowserCamera().catch((err) => showError(`could not use this browser's camera: ${err}`)));

// source picker and outputs: the page names files; the server keeps them inside its folders ---------------
async function listSources() {
  const found = await api("api/sources");
  const options = [["builtin", "built-in clip", { kind: "builtin" }]];
  for (const c of found.cameras) options.push([`camera:${c.path}`, `${c.name} (${c.path})`, { kind: "camera", path: c.path }]);
  for (const f of found.files) options.push([`file:${f}`, f, { kind: "file", name: f }]);
  $("source").replaceChildren(...options.map(([value, text, body]) => {
    const option = new Option(text, value);
    option.dataset.body = JSON.stringify(body);
    return option;
  }));
}

function say(text) { $("said").textContent = text; }

async function act(path, body, done) {
  try {
    done(await api(path, body));
  } catch (err) {
    showError(String(err));
  }
}

$("source").addEventListener("change", () => {
  const body = JSON.parse($("source").selectedOptions[0].dataset.body);
  act("api/source", body, (answer) => say(`source: ${answer.source}`));
  if (peer && peer.getSenders().some((s) => s.track)) connect();  // leave the browser's camera
});
$("record").addEventListener("click", () => {
  const recording = $("record").classList.contains("on");
  act("api/record", { name: recording ? null : $("record-name").value }, (answer) =>
    say(answer.recording ? `recording ${answer.recording}` : `wrote ${answer.stopped}`));
});
$("snapshot").addEventListener("click", () =>
  act("api/snapshot", { name: $("snapshot-name").value }, (answer) => say(`wrote ${answer.snapshot}`)));
$("vcam").addEventListener("change", () =>
  act("api/vcam", { on: $("vcam").checked }, (answer) => { $("vcam").checked = answer.vcam; }));

function showOutputs(outputs) {
  if (!outputs) return;
  $("out-folder").textContent = `in ${outputs.folder}`;
  $("record").classList.toggle("on", Boolean(outputs.recording));
  $("record").textContent = outputs.recording ? "Stop" : "Record";
  $("vcam").checked = outputs.vcam;
}

// split and before/after --------------------------------------------------------------------------------
let split = 0.5;
let mode = "split";

function drawSplit() {
  const shown = mode === "before" ? 1 : mode === "after" ? 0 : split;
  $("after-clip").style.clipPath = `inset(0 0 0 ${shown * 100}%)`;
  $("handle").style.left = `${split * 100}%`;
  $("handle").hidden = mode !== "split";
  $("handle").setAttribute("aria-valuenow", Math.round(split * 100));
  for (const button of document.querySelectorAll("#modes button[data-mode]")) {
    button.classList.toggle("on", button.dataset.mode === mode);
  }
}

function setMode(next) {
  mode = next;
  drawSplit();
}

function dragSplit(event) {
  const box = $("view").getBoundingClientRect();
  split = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  if (mode !== "split") mode = "split";
  drawSplit();
}

$("view").addEventListener("pointerdown", (event) => {
  $("view").setPointerCapture(event.pointerId);
  dragSplit(event);
});
$("view").addEventListener("pointermove", (event) => {
  if ($("view").hasPointerCapture(event.pointerId)) dragSplit(event);
});
for (const button of document.querySelectorAll("#modes button[data-mode]")) {
  button.addEventListener("click", () => setMode(button.dataset.mode));
}
document.addEventListener("keydown", (event) => {
  if (event.key === "b") setMode(mode === "before" ? "after" : "before");
  if (event.target === $("handle") && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
    split = Math.min(1, Math.max(0, split + (event.key === "ArrowLeft" ? -0.05 : 0.05)));
    drawSplit();
  }
});

// pause: the video stops and a lossless still of the latest frame (a PNG over HTTP, not the video's codec)
// takes its place, split the same way, so compression does not hide the model's effect -------------------
let stillUrl = null;

async function pause() {
  for (const video of [$("before"), $("after")]) video.pause();
  const response = await fetch("api/still", { headers: { "X-Sharpcam-Token": token } });
  if (!response.ok) throw new Error(`api/still: ${response.status} ${await response.text()}`);
  stillUrl = URL.createObjectURL(await response.blob());
  await Promise.all(["still-before", "still-after"].map((id) => {
    $(id).src = stillUrl;
    return $(id).decode();
  }));
  for (const id of ["still-before", "still-after"]) $(id).hidden = false;
  say("paused: a lossless still (PNG) of the latest frame");
}

function resume() {
  for (const id of ["still-before", "still-after"]) $(id).hidden = true;
  if (stillUrl) URL.revokeObjectURL(stillUrl);
  stillUrl = null;
  for (const video of [$("before"), $("after")]) video.play();
  say("");
}

function togglePause() {
  const paused = !$("pause").classList.contains("on");
  $("pause").classList.toggle("on", paused);
  $("pause").textContent = paused ? "Resume" : "Pause";
  if (paused) {
    pause().catch((err) => showError(`could not pause on a still: ${err}`));
  } else {
    resume();
  }
}

$("pause").addEventListener("click", togglePause);
document.addEventListener("keydown", (event) => {
  if (event.key === "p" && event.target.tagName !== "INPUT") togglePause();
});

// strength: the latest value is sent; one request at a time, so a fast drag does not queue stale ones --------
let wanted = null;
let sending = false;

async function sendStrength() {
  if (sending || wanted === null) return;
  sending = true;
  const value = wanted;
  wanted = null;
  try {
    const answer = await api("api/controls", { strength: value });
    $("strength-value").textContent = answer.strength.toFixed(2);
  } catch (err) {
    showError(String(err));
  } finally {
    sending = false;
    sendStrength();
  }
}

$("strength").addEventListener("input", () => {
  wanted = Number($("strength").value) / 100;
  sendStrength();
});

// toggles: sent as changed; the pipeline applies them before its next frame --------------------------------
$("low-light").addEventListener("change", () =>
  act("api/controls", { low_light: $("low-light").value }, (answer) => say(`low light: ${answer.low_light}`)));
$("temporal").addEventListener("change", () =>
  act("api/controls", { temporal: $("temporal").checked },
    (answer) => say(`temporal filter: ${answer.temporal ? "on" : "off"}`)));

function showToggles(state) {
  const light = state.low_light;
  if (document.activeElement !== $("low-light")) $("low-light").value = light.mode;
  $("temporal").checked = state.temporal;
  $("low-light-state").textContent = light.mode === "off" ? "off" :
    `${light.mode}, ${light.gain > 1 ? `gain ×${fixed(light.gain, 2)}` : "idle"}, ${light.frames_lifted} lifted`;
  $("temporal-state").textContent = state.temporal ? "on (state carried frame to frame)" : "off (reset every frame)";
}

// stats --------------------------------------------------------------------------------------------------
function fixed(value, digits = 1) {
  return value === undefined ? "–" : Number(value).toFixed(digits);
}

function showStats(state) {
  if (state.switching) return;  // between two sources' sessions: the last numbers stay a moment longer
  const s = state.stats;
  $("what").textContent = `${state.source} ${state.size.join("×")} · ${state.backend_name}` +
    (state.student ? ` · student ${state.student.running} (auto)` : "") +
    (state.load_policy ? ` · load policy ${state.load_policy}` : "") +
    // --clean-source auto: a source without noise or codec blocks runs the clean-blur student
    (state.clean_source && state.clean_source.running === "clean" ? " · clean source (fast student)" : "") +
    (state.scene_cuts > 0 ? ` · ${state.scene_cuts} scene cut${state.scene_cuts === 1 ? "" : "s"}` : "");
  // the factory's sentence (which backend, and why the others were passed over); under --student auto, why
  // this student (each candidate's time against the frame budget)
  $("what").title = state.backend + (state.student ? `\nstudent ${state.student.reason}` : "");
  $("fps").textContent = fixed(s.fps);
  $("frames").textContent = s.frames;
  $("dropped").textContent = s.dropped;
  $("errors").textContent = s.errors;
  $("cpu").textContent = `${fixed(s.cpu.ms_per_frame)} ms/frame, ${fixed(s.cpu.cores, 2)} cores`;
  const quality = $("after").getVideoPlaybackQuality ? $("after").getVideoPlaybackQuality() : null;
  $("decoded").textContent = quality ? `${quality.totalVideoFrames} frames shown` : "–";
  const rows = Object.entries(s.stages).map(([name, t]) =>
    `<tr><td>${name}</td><td>${fixed(t.p50_ms)}</td><td>${fixed(t.p95_ms)}</td></tr>`);
  $("stages").tBodies[0].innerHTML = rows.join("");
  if (!$("strength").matches(":active") && wanted === null && !sending) {
    $("strength").value = Math.round(state.strength * 100);
    $("strength-value").textContent = state.strength.toFixed(2);
  }
  showOutputs(state.outputs);
  showToggles(state);
  if (state.error) showError(`the session stopped: ${state.error}`);
  if (state.size) {  // the whole picture in the window: as wide as the height left allows
    const [w, h] = state.size;
    $("view").style.aspectRatio = `${w} / ${h}`;
    $("view").style.maxWidth = `calc((100vh - 5em) * ${w / h})`;
  }
}

function showError(text) {
  $("error").hidden = false;
  $("error").textContent = text;
}

async function pollStats() {
  try {
    showStats(await api("api/state"));
  } catch (err) {
    showError(`lost the server (${err}); is sharpcam app still running?`);
  }
  setTimeout(pollStats, STATS_EVERY_MS);
}

drawSplit();
pollStats();
connect().catch((err) => showError(`could not start the video: ${err}`));
listSources().catch((err) => showError(`could not list the sources: ${err}`));
