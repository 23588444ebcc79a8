// Does nothing: the CLI bench measures Node starting a TypeScript file, for scale.
export {};
