// Reloads a progress page while its work runs (the server drops this script when it is done).
"use strict";
if (document.querySelector("[data-refresh]")) {
  window.setTimeout(() => window.location.reload(), 1000);
}
