// The playground's only script: the open form as a modal dialog, and new messages without a reload.
(() => {
  const dialog = document.getElementById("form-dialog");
  if (dialog) {
    // Drawn open so the form works without script; made modal so it is in view wherever the page
    // was scrolled, with focus in its first field, and Escape does what Cancel does.
    dialog.close();
    dialog.showModal();
    // Again once the page has loaded: going to the #message anchor would take focus back.
    const first = () => dialog.querySelector("[autofocus]")?.focus();
    first();
    window.addEventListener("load", () => setTimeout(first, 0));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      dialog.querySelector('button[value="cancel"]').click();
    });
    return;
  }
  let version = document.body.dataset.live;
  const nearBottom = () =>
    window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
  async function refresh() {
    if (document.hidden) return;
    const answer = await fetch("/playground/live", { cache: "no-store" });
    const now = await answer.text();
    const live = document.getElementById("live");
    // Never pull the conversation from under someone who is using it.
    if (now === version || live.contains(document.activeElement)) return;
    const page = await fetch(location.pathname + location.search, { cache: "no-store" });
    const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
    const follow = nearBottom();
    for (const id of ["live", "clock-now", "clock-next"]) {
      const old = document.getElementById(id);
      const replacement = fresh.getElementById(id);
      if (old && replacement) old.replaceWith(replacement);
    }
    version = now;
    if (follow) document.getElementById("latest")?.scrollIntoView({ block: "end" });
  }
  setInterval(() => refresh().catch(() => {}), 2000);
})();
