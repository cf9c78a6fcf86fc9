// Start the NHS.UK components (a file, not an inline script: the CSP runs only the app's own files).
import { initAll } from "/nhsuk/nhsuk-frontend.min.js";
initAll();
