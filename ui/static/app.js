// The UI's entry point: a hash router over pages that read only the JSON
// API under /api/v1/ (docs/API.md).
const main = document.getElementById('main');
main.textContent = 'odradek';
