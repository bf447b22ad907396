/** What an SMS text becomes once final: the digits (the code) masked, the rest kept for support. */
export const redactBody = (body: string): string => body.replace(/[0-9]/g, '•');

/** A phone for a log line: its first three and last two characters, the digits between masked (`+38•••••••43`). */
export const maskPhone = (phone: string): string =>
  phone.length <= 5 ? '•'.repeat(phone.length) : phone.slice(0, 3) + '•'.repeat(phone.length - 5) + phone.slice(-2);
