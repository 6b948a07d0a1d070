// The CrossGuard pack's entry: `pulumi preview --policy-pack infra/policy` (after `npm run build`).
// Pulumi loads policy packs with require(), and the rules are ES modules, so the pack is started
// from an exported async function, which Pulumi calls and awaits.
module.exports = async () => {
  const { startPolicyPack } = await import("../dist/policy/pack.js");
  startPolicyPack();
};
