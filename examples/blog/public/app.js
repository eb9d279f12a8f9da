/* global document, window, HTMLFormElement */
// Progressive enhancement only: every page works without this script.
document.addEventListener('submit', (event) => {
  const form = event.target
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault()
  }
})

// Show dates in the reader's own locale; the server renders them in UTC.
for (const time of document.querySelectorAll('time[datetime]')) {
  const date = new Date(time.getAttribute('datetime'))
  if (!Number.isNaN(date.getTime()))
    time.textContent = date.toLocaleDateString(undefined, { dateStyle: 'medium' })
}
