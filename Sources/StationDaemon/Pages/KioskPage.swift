/// The kiosk page: one self-contained document (no external fonts, scripts or images),
/// laid out for an 800x480 screen read at arm's length. Chinese first, English on a tap.
/// It renders the `KioskScreen` values the daemon streams at `/events`.
enum KioskPage {
    static let html = #"""
    <!DOCTYPE html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=800, height=480, initial-scale=1">
    <title>Station</title>
    <style>
      html, body { margin: 0; height: 100%; background: #10243e; color: #fff;
        font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Droid Sans Fallback", sans-serif; }
      body { display: flex; flex-direction: column; overflow: hidden; }
      header { display: flex; justify-content: space-between; align-items: center; padding: 10px 20px;
        font-size: 22px; background: rgba(0,0,0,.25); }
      #lang { font: inherit; font-size: 22px; padding: 6px 18px; border-radius: 8px; border: 2px solid #fff;
        background: transparent; color: #fff; }
      main { flex: 1; display: flex; flex-direction: column; justify-content: center; padding: 0 36px; }
      #headline { font-size: 76px; font-weight: bold; line-height: 1.15; }
      #detail { font-size: 32px; margin-top: 14px; line-height: 1.3; }
      #facts { font-size: 30px; margin-top: 18px; line-height: 1.45; }
      #facts div span { opacity: .75; margin-right: .5em; }
      #timer { font-size: 64px; font-variant-numeric: tabular-nums; margin-top: 10px; }
      #status { font-size: 18px; opacity: .7; padding: 6px 20px; }
      body.ok { background: #0b6b3a; }
      body.note { background: #8a5a00; }
      body.bad { background: #9b1c1c; }
      body.info { background: #1d4f91; }
      .hidden { display: none; }
    </style>
    </head>
    <body class="idle" data-state="connecting">
    <header><span id="site">工会服务点</span><button id="lang" type="button">English</button></header>
    <main>
      <div id="headline">欢迎</div>
      <div id="detail"></div>
      <div id="facts"></div>
      <div id="timer" class="hidden"></div>
    </main>
    <div id="status">连接中…</div>
    <script>
    "use strict";
    const WORDS = {
      zh: { site: "工会服务点", toggle: "English", title: "书名", item: "编号", due: "应还日期", worker: "会员", service: "服务",
            live: "已连接", lost: "连接中断，正在重连…", visit: "已使用" },
      en: { site: "Union service point", toggle: "中文", title: "Title", item: "Item", due: "Due", worker: "Member", service: "Service",
            live: "Connected", lost: "Connection lost, reconnecting…", visit: "In use for" }
    };
    const SERVICES = { lactation: ["哺乳", "Lactation"], childcare: ["育婴", "Childcare"], rest: ["休息", "Rest"],
      water: ["饮水", "Water"], charging: ["充电", "Charging"], "legal-aid": ["法律援助", "Legal aid"] };
    const CLASS = { "checked-out": "ok", "renewed": "ok", "returned": "ok", "visit-started": "ok", "visit-ended": "ok",
      "session-opened": "info", "mode-changed": "info", "warning": "note", "refused": "bad", "misread": "bad",
      "storage-error": "bad", "transfer-out": "note", "transfer-in": "note", "hold-ready": "ok", "hold-refused": "bad",
      "stocktake-started": "info", "stocktake-seen": "ok", "stocktake-ended": "info" };
    let lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "zh";
    let idle = null, screen = null, live = false, back = null;
    const $ = (id) => document.getElementById(id);
    function fact(label, value) {
      const d = document.createElement("div"), s = document.createElement("span");
      s.textContent = label; d.appendChild(s); d.appendChild(document.createTextNode(value)); return d;
    }
    function holdMillis(s) { return s.state === "visit-started" ? 60000 : s.state === "session-opened" ? 60000 : 20000; }
    function render() {
      const w = WORDS[lang];
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
      $("site").textContent = w.site; $("lang").textContent = w.toggle;
      $("status").textContent = live ? w.live : w.lost;
      let s = screen || idle;
      if (s && s.state !== "idle" && idle && Date.now() - s.atMillis > holdMillis(s)) s = idle;
      if (!s) return;
      document.body.className = CLASS[s.state] || "idle";
      document.body.dataset.state = s.state;
      $("headline").textContent = s.headline[lang];
      $("detail").textContent = s.detail[lang];
      const facts = $("facts"); facts.replaceChildren();
      if (s.title) facts.appendChild(fact(w.title, s.title));
      if (s.item) facts.appendChild(fact(w.item, s.item));
      if (s.dueDate) facts.appendChild(fact(w.due, s.dueDate));
      if (s.worker) facts.appendChild(fact(w.worker, s.worker));
      if (s.service) facts.appendChild(fact(w.service, SERVICES[s.service] ? SERVICES[s.service][lang === "zh" ? 0 : 1] : s.service));
      const timer = $("timer");
      if (s.visitStartedAtMillis) {
        const secs = Math.max(0, Math.floor((Date.now() - s.visitStartedAtMillis) / 1000));
        timer.textContent = w.visit + " " + String(Math.floor(secs / 60)).padStart(2, "0") + ":" + String(secs % 60).padStart(2, "0");
        timer.classList.remove("hidden");
      } else { timer.classList.add("hidden"); }
    }
    $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; render(); });
    const source = new EventSource("/events");
    source.addEventListener("idle", (e) => { idle = JSON.parse(e.data); render(); });
    source.addEventListener("screen", (e) => { screen = JSON.parse(e.data); live = true; render(); });
    source.onopen = () => { live = true; render(); };
    source.onerror = () => { live = false; render(); };
    setInterval(render, 1000);
    </script>
    </body>
    </html>
    """#
}
