"""The web page served at `/`: upload, progress, then the report's timeline and table. No external
resources: plain HTML, CSS and JavaScript; the report itself inlines plotly.js."""

PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>unlock-feeling</title>
<style>
body{font-family:"Noto Sans KR","Nanum Gothic","Malgun Gothic",system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
main{max-width:1200px;margin:0 auto;padding:20px}
h1{margin:0 0 4px;font-size:1.6rem} p.lead{color:#666;margin:0 0 16px}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:center;background:#fff;border:1px solid #e5e5e5;border-radius:8px;padding:12px}
button{background:#2f6fd6;color:#fff;border:0;border-radius:6px;padding:8px 16px;font-weight:600;cursor:pointer}
button:disabled{background:#9bb5e6}
#status{margin:12px 0;display:flex;gap:10px;align-items:center}
progress{width:320px;height:14px}
#error{color:#b00020;font-weight:600;min-height:1.2em}
#jobs{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px}
#jobs li{background:#fff;border:1px solid #ddd;border-radius:14px;padding:3px 10px;cursor:pointer;font-size:.9rem}
#jobs li.done{border-color:#5a8f29} #jobs li.failed{border-color:#b00020}
iframe{width:100%;height:1500px;border:1px solid #e5e5e5;border-radius:8px;background:#fff;display:none}
</style></head>
<body><main>
<h1>unlock-feeling</h1>
<p class="lead">Emotion per utterance from what is said, how the face looks and how the voice sounds. Runs on this machine.</p>
<form id="upload">
  <input type="file" id="file" name="file" required aria-label="media file">
  <label>language <select id="language"><option value="auto">auto</option><option value="ko">한국어</option><option value="en">English</option></select></label>
  <input id="token" type="password" placeholder="token (if the server needs one)" aria-label="token">
  <button id="go" type="submit">Analyse</button>
</form>
<div id="status"><progress id="bar" max="100" value="0"></progress><span id="state">idle</span></div>
<div id="error" role="alert"></div>
<h2>Analyses</h2><ul id="jobs"></ul>
<iframe id="report" title="report"></iframe>
<script>
const $ = (id) => document.getElementById(id);
$("token").value = localStorage.getItem("uf-token") || "";
function headers() {
  const t = $("token").value.trim(); localStorage.setItem("uf-token", t);
  return t ? {"Authorization": "Bearer " + t} : {};
}
async function api(path, opts = {}) {
  const r = await fetch(path, {...opts, headers: {...headers(), ...(opts.headers || {})}});
  if (!r.ok) { let m = r.statusText; try { m = (await r.json()).error || m; } catch (e) {} throw new Error(m); }
  return r;
}
async function refreshJobs() {
  try {
    const jobs = await (await api("/v1/analyses")).json();
    $("jobs").innerHTML = "";
    for (const j of jobs) {
      const li = document.createElement("li");
      li.className = j.status; li.textContent = j.filename + " — " + j.status;
      li.onclick = () => follow(j.id);
      $("jobs").appendChild(li);
    }
  } catch (e) { $("error").textContent = e.message; }
}
let following = null;
async function follow(id) {
  following = id; $("error").textContent = ""; $("report").style.display = "none";
  while (following === id) {
    let j;
    try { j = await (await api("/v1/analyses/" + id)).json(); } catch (e) { $("error").textContent = e.message; return; }
    $("bar").value = j.progress; $("state").textContent = j.filename + ": " + j.status + (j.stage ? " (" + j.stage + ")" : "");
    if (j.status === "done") { await showReport(id); refreshJobs(); return; }
    if (j.status === "failed") { $("error").textContent = j.error; refreshJobs(); return; }
    await new Promise((r) => setTimeout(r, 500));
  }
}
async function showReport(id) {
  const html = await (await api("/v1/analyses/" + id + "/report")).text();
  const frame = $("report"); frame.srcdoc = html; frame.style.display = "block";
}
$("upload").addEventListener("submit", async (ev) => {
  ev.preventDefault(); $("error").textContent = ""; $("go").disabled = true;
  try {
    const form = new FormData(); form.append("file", $("file").files[0]); form.append("language", $("language").value);
    const j = await (await api("/v1/analyses", {method: "POST", body: form})).json();
    refreshJobs(); follow(j.id);
  } catch (e) { $("error").textContent = e.message; } finally { $("go").disabled = false; }
});
refreshJobs();
</script>
</main></body></html>
"""
