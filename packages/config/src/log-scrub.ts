// Log lines must never carry a phone number (nor the SQL parameters a driver
// error lists, where phones and hashes sit). Scrubbed on the serialized line,
// so every way an error reaches the log is covered: `{ err }`, `err.message`
// strings, causes nested in causes.

/** A driver error's parameter list, up to the end of the JSON string it sits in. */
const SQL_PARAMETERS = /parameters:\[(?:[^"\\]|\\.)*/g;
/** E.164 numbers (and bare runs of 8+ digits after a `+`). */
const PHONE = /\+\d{7,15}/g;
/** The log transport's own lines are the SMS: their `to` is the point of them. */
const LOG_TRANSPORT_LINE = '"transport":"log"';

export function scrubLogLine(line: string): string {
  let out = line.replace(SQL_PARAMETERS, 'parameters:[redacted]');
  if (!out.includes(LOG_TRANSPORT_LINE)) out = out.replace(PHONE, '+[redacted]');
  return out;
}
