// Helpers for the playground tests: the simulator's request log.

/**
 * The `response.outcome` of the last upstream request whose body contains `text`,
 * polled (at most 100 times, 100 ms apart) until it is no longer `open`.
 */
export async function settledOutcome(sim, text) {
  let outcome = "(not logged)";
  for (let i = 0; i < 100; i++) {
    const log = await (await fetch(`${sim}/__sim/requests`)).json();
    const entry = log.findLast((e) => e.body?.preview?.includes(text));
    outcome = entry?.response?.outcome ?? outcome;
    if (entry && outcome !== "open") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return outcome;
}
