import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSize {
  /** GSM-7 when every character is in the GSM 03.38 alphabet (basic set or extension table), else UCS-2. */
  encoding: SmsEncoding;
  /** SMS segments the text is sent as (what it costs): GSM-7 160 characters, 153 a part; UCS-2 70, 67 a part. */
  segments: number;
  /** Bytes of user data (GSM-7 septets packed, UCS-2 two bytes a code unit), headers of a concatenated SMS left out. */
  bytes: number;
}

/**
 * How a text goes over the air. Counting is Twilio's message-segment-calculator
 * (sms-segments-calculator): extension-table characters (€ [ ] { } ^ ~ | \) take
 * two GSM-7 septets, characters outside the BMP two UCS-2 code units, and no
 * character is split across two parts.
 */
export function measureSms(text: string): SmsSize {
  const message = new SegmentedMessage(text, 'auto');
  return {
    encoding: message.getEncodingName() as SmsEncoding,
    segments: message.segmentsCount,
    bytes: Math.ceil(message.messageSize / 8),
  };
}

/** sms_messages.encoding's value for each encoding (a database enum value cannot hold "-"). */
export const ENCODING_COLUMN = { 'GSM-7': 'gsm7', 'UCS-2': 'ucs2' } as const;
