// Rusplan: progressive enhancement only. Every page works without this file.

// Drill mode ("Øvelse"): its banner shows on every screen while it is on.
import "./drill.js";
// Notification settings and the alert form (Web Push): they set themselves up where their markup is.
import "./push.js";
// «Varsle ledelsen» without network: says so, and offers to send when the network is back.
import "./alert-queue.js";
// The evaluation page says the review is late once the date has passed, also in a stored copy.
import "./review.js";
// The signed-in person's menu in the header (fetched on public pages only when signed in before).
import "./account-menu.js";
