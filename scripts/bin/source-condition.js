// Module resolve hook: prefer the "source" export condition so @inference-fleet/* packages load from src/.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes("source") ? context.conditions : ["source", ...context.conditions];
  return nextResolve(specifier, { ...context, conditions });
}
