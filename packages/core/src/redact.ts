/** What an SMS text becomes once final: the digits (the code) masked, the rest kept for support. */
export const redactBody = (body: string): string => body.replace(/[0-9]/g, '•');
