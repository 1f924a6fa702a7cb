// The service worker exists for web push only: it shows a reminder sent by the Notification service while no Aimi page
// is open, and a click on it opens (or focuses) the page. It caches nothing.
self.addEventListener('push', event => {
  let payload = {};
  try {
    payload = event.data?.json() ?? {};
  } catch {
    payload = { body: event.data?.text() };
  }
  const title = payload.title ?? 'Aimi';
  event.waitUntil(self.registration.showNotification(title, { body: payload.body ?? payload.text ?? '', tag: payload.tag ?? payload.reminderId, data: payload }));
});

self.addEventListener('notificationclick', event => {
  event.notification.close();
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const page = pages.find(p => new URL(p.url).origin === self.location.origin);
    if (page) return page.focus();
    return self.clients.openWindow('/#/agenda');
  })());
});
