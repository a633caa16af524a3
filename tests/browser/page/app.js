// A page with two bugs: a render that dereferences undefined, and a profile load nobody awaits.
function renderCart(items) {
  return items.map(function (item) { return item.price; }).length;
}

async function loadProfile(userId) {
  throw new Error('profile service returned 503 for user ' + userId);
}

setTimeout(function checkout() { renderCart(undefined); }, 0);
loadProfile(7);
window.appLoaded = true;
