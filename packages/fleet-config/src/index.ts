export const hello = (): string => "fleet-config";
