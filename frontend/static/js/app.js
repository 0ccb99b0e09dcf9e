// Rusplan: progressive enhancement only. Every page works without this file.

// Drill mode ("Øvelse"): its banner shows on every screen while it is on.
import "./drill.js";
