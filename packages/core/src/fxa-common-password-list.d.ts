// The package ships no types: its CommonJS export is one function.
declare module 'fxa-common-password-list' {
  const list: { test(password: string): boolean };
  export default list;
}
