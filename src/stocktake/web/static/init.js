// Start the NHS.UK components (a file, not an inline script: the CSP runs only the app's own files).
import { initAll } from "/nhsuk/nhsuk-frontend.min.js";
initAll();

// Who is signed in on this page ("" on the sign-in and error pages): a form's kept text is theirs only.
const user = document.querySelector('meta[name="stocktake-user"]')?.content ?? "";
const dialog = document.getElementById("session-dialog");

// ---------------------------------------------------------------------------------------------
// A form's text survives its session ending. What a user types into a form that is sent by POST
// is kept in sessionStorage (this tab only; gone when the tab closes; never sent anywhere), keyed
// by the page and the form. It is put back when the page loads again with a signed-in user, and
// forgotten once the form has been sent and a signed-in page without an error came back. Passwords,
// hidden fields (the CSRF token), files and the sign-in and sign-out forms are never kept; another
// user's kept text is dropped when someone else signs in on this tab; signing out drops it all.

const DRAFT = "stocktake:draft:";
const SENT = "stocktake:sent";
const SKIPPED_TYPES = new Set(["password", "hidden", "file", "submit", "button", "reset", "image"]);

function keptForms() {
  const forms = [...document.querySelectorAll('form[method="post" i]')].filter(
    (form) =>
      !form.hasAttribute("data-no-draft") &&
      !["/sign-in", "/sign-out"].includes(new URL(form.action, location.href).pathname) &&
      !form.querySelector('input[type="password"]'),
  );
  const seen = new Map();
  return forms.map((form) => {
    const action = new URL(form.action, location.href).pathname;
    const nth = seen.get(action) ?? 0;
    seen.set(action, nth + 1);
    return { form, key: `${DRAFT}${location.pathname}#${form.id || `${action}:${nth}`}` };
  });
}

function fieldsOf(form) {
  return [...form.elements].filter(
    (el) => el.name && !el.disabled && el.name !== "csrf_token" && !SKIPPED_TYPES.has(el.type),
  );
}

function changed(el) {
  if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
  if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
  return el.value !== el.defaultValue;
}

function valueOf(el) {
  if (el.type === "checkbox" || el.type === "radio") return el.checked;
  if (el.tagName === "SELECT") return [...el.options].filter((o) => o.selected).map((o) => o.value);
  return el.value;
}

function keep(form, key) {
  const fields = fieldsOf(form);
  if (!fields.some(changed)) return sessionStorage.removeItem(key);
  const values = fields.map((el) => [el.name, el.type === "radio" || el.type === "checkbox" ? el.value : null, valueOf(el)]);
  sessionStorage.setItem(key, JSON.stringify({ user, values }));
}

function putBack(form, values) {
  const fields = fieldsOf(form);
  for (const [name, option, value] of values) {
    const el = fields.find((f) => f.name === name && (option === null || f.value === option));
    if (!el) continue;
    if (el.type === "checkbox" || el.type === "radio") el.checked = value;
    else if (el.tagName === "SELECT") [...el.options].forEach((o) => (o.selected = value.includes(o.value)));
    else el.value = value;
  }
}

function announcePutBack(form, key) {
  const note = document.createElement("div");
  note.className = "nhsuk-inset-text";
  note.setAttribute("role", "status");
  note.dataset.draftRestored = "";
  const text = document.createElement("p");
  text.textContent = "What you typed here before signing in again has been put back. Check it, then send it. ";
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-u-margin-bottom-0";
  discard.textContent = "Discard it";
  discard.addEventListener("click", () => {
    sessionStorage.removeItem(key);
    form.reset();
    note.remove();
  });
  text.append(discard);
  note.append(text);
  form.prepend(note);
}

function readDraft(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? "null");
  } catch {
    sessionStorage.removeItem(key); // unreadable (written by another version): forget it
    return null;
  }
}

function storedDrafts() {
  return Object.keys(sessionStorage).filter((k) => k.startsWith(DRAFT));
}

function keepWhatIsTyped() {
  const sent = sessionStorage.getItem(SENT);
  sessionStorage.removeItem(SENT);
  if (user) {
    for (const key of storedDrafts()) {
      if (readDraft(key)?.user !== user) sessionStorage.removeItem(key); // someone else signed in on this tab
    }
    // Sent, and a signed-in page without an error came back: it was saved.
    if (sent && !document.querySelector(".nhsuk-error-summary")) sessionStorage.removeItem(sent);
  }
  const forms = keptForms();
  for (const { form, key } of forms) {
    const draft = user && readDraft(key);
    if (draft) {
      putBack(form, draft.values);
      announcePutBack(form, key);
    }
    const save = () => keep(form, key);
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", () => {
      save();
      sessionStorage.setItem(SENT, key);
    });
  }
  document.querySelectorAll('form[action="/sign-out"]').forEach((form) =>
    form.addEventListener("submit", () => storedDrafts().forEach((k) => sessionStorage.removeItem(k))),
  );
}

// ---------------------------------------------------------------------------------------------
// The warning before the session ends (idle, or eight hours after sign-in), as GOV.UK's timeout
// pattern does: a modal dialog a few minutes before, "Stay signed in" counting as a use, and once
// it has ended, a link to sign in again and come back here. The server is asked before warning
// (another tab may have used the session) and its answer, in seconds, wins over this tab's clock.

function warnBeforeTheSessionEnds(dialog) {
  const warn = 1000 * Number(dialog.dataset.warnSeconds);
  let idleEnd, absoluteEnd, timer, ticker, state;
  const learn = (left) => {
    idleEnd = Date.now() + 1000 * left.idle;
    absoluteEnd = Date.now() + 1000 * left.absolute;
  };
  const end = () => Math.min(idleEnd, absoluteEnd);
  const later = (when, then) => {
    clearTimeout(timer);
    timer = setTimeout(then, Math.max(0, when - Date.now()));
  };
  learn({ idle: Number(dialog.dataset.idleSeconds), absolute: Number(dialog.dataset.absoluteSeconds) });

  const ask = async (method, url) => {
    try {
      const answer = await fetch(url, {
        method,
        headers: { "X-CSRF-Token": dialog.dataset.csrf, Accept: "application/json" },
        credentials: "same-origin",
      });
      const json = (answer.headers.get("content-type") ?? "").startsWith("application/json");
      return answer.ok && json ? await answer.json() : null;
    } catch {
      return null; // the server is not answering: ask again shortly
    }
  };

  const show = (shown) => {
    state = shown;
    dialog.dataset.state = shown;
    for (const el of dialog.querySelectorAll("[data-session-state]")) {
      el.hidden = !el.dataset.sessionState.split(" ").includes(shown);
    }
    const next = encodeURIComponent(location.pathname + location.search);
    dialog.querySelector("[data-session-sign-in]").href = `/sign-in?next=${next}`;
    const tick = () => {
      const left = Math.max(0, Math.round((end() - Date.now()) / 1000));
      const at = new Date(end()).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
      const words = left < 90 ? `${left} second${left === 1 ? "" : "s"}` : `${Math.round(left / 60)} minutes`;
      dialog.querySelectorAll("[data-session-at]").forEach((el) => (el.textContent = at));
      dialog.querySelectorAll("[data-session-in]").forEach((el) => (el.textContent = words));
    };
    clearInterval(ticker);
    if (shown !== "ended") {
      tick();
      ticker = setInterval(tick, 1000);
    }
    if (!dialog.open) dialog.showModal();
  };

  const check = async () => {
    const left = await ask("GET", "/session");
    if (left === null) return later(Date.now() + 10_000, check);
    if (!left.signed_in) {
      clearTimeout(timer);
      return show("ended");
    }
    learn(left);
    if (end() - Date.now() > warn + 1000) {
      if (dialog.open && state === "idle") dialog.close(); // used in another tab meanwhile
      return later(end() - warn, check);
    }
    if (state !== "absolute" || !dialog.open) show(absoluteEnd <= idleEnd ? "absolute" : "idle");
    later(end() + 1000, check); // at the end, ask again: then it has ended
  };

  const stay = async () => {
    const left = (await ask("POST", "/session/keep")) ?? (await ask("GET", "/session"));
    if (left?.signed_in) {
      learn(left);
      clearInterval(ticker);
      dialog.close();
      later(end() - warn, check);
    } else {
      show("ended");
    }
  };

  dialog.querySelector("[data-session-stay]").addEventListener("click", stay);
  dialog.querySelector("[data-session-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("cancel", (event) => {
    if (state === "idle") {
      event.preventDefault(); // Escape while warned of the idle end means "stay signed in"
      stay();
    }
  });
  document.addEventListener("session-ended", () => {
    clearTimeout(timer);
    show("ended");
  });
  later(end() - warn, check);
}

// ---------------------------------------------------------------------------------------------
// htmx does not swap error answers: after the session ended a click would do nothing. The server
// answers htmx with 401 and a "session has ended" part; swap it in (the dialog opens too).

function showTheSessionEndedInHtmxSwaps() {
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 401) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
}

// Started last: the constants above must be defined first.
keepWhatIsTyped();
if (dialog) warnBeforeTheSessionEnds(dialog);
showTheSessionEndedInHtmxSwaps();
