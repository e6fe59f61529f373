/**
 * The shapes of the funnel's ids, checked at the edge (the BFF's 400) and by the authority (the
 * campaign service for codes, tracking for customers): a coupon code and a brand's customer id.
 */

/** 4–32 characters of letters, digits, `_` and `-`; unique per brand ignoring case. */
export const COUPON_CODE = /^[A-Za-z0-9_-]{4,32}$/;

/** 1–128 characters of letters, digits and `. _ : @ -`: the brand's own id of its customer. */
export const CUSTOMER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The form under which a code is unique and looked up: case does not tell two codes apart. */
export const couponKey = (code: string): string => code.toLowerCase();
