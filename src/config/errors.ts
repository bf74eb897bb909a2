/** A configuration that cannot be used; `setting` names the variable or file path at fault. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`invalid configuration: ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}
