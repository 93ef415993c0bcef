// The shapes of the demo's sample records: a subset of the hub's input schemas (src/domain/hub.ts).
import type { CountryCode } from './locales.ts';

export interface CustomField {
  custom_field_name: string;
  value: string;
}

export interface SampleAddress {
  first_name: string;
  last_name: string;
  company: string | null;
  phone_number: string | null;
  address_1: string;
  address_2: string | null;
  city: string;
  region: string;
  country: CountryCode;
  postal_code: string;
  is_primary_billing: boolean;
  is_primary_shipping: boolean;
}

export interface SampleCustomer {
  id: string;
  customer_number: string;
  first_name: string;
  last_name: string;
  email_address: string | null;
  company: string | null;
  comment: string | null;
  created_datetime: string;
  updated_datetime: string;
  addresses: SampleAddress[];
  custom_fields: CustomField[];
}

export interface SampleProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  type: string;
  status: string;
  default_price: number;
  msrp: number;
  categories: string[];
  created_datetime: string;
  updated_datetime: string;
}

export interface SampleTransactionLine {
  id: string;
  sequence_number: number;
  sku: string;
  description: string;
  type: string;
  status: string;
  qty: number;
  unit_price: number;
  extended_price: number;
  discount_amount: number;
}

export interface SampleTransactionAddress
  extends Omit<SampleAddress, 'is_primary_billing' | 'is_primary_shipping'> {
  type: 'Billing' | 'Shipping';
  is_primary_billing: boolean;
  is_primary_shipping: boolean;
  shipping_method: string | null;
}

export interface SampleTransaction {
  id: string;
  transaction_number: string;
  customer_id: string;
  email_address: string | null;
  type: string;
  status: string;
  currency: string;
  discount_code: string | null;
  discount_amount: number;
  tax_amount: number;
  shipping_amount: number;
  subtotal: number;
  total: number;
  total_qty: number;
  created_datetime: string;
  updated_datetime: string;
  lines: SampleTransactionLine[];
  addresses: SampleTransactionAddress[];
  payments: { method: string; amount: number; status: string }[];
}

/** Why a customer's phone is broken, so a reader of the log knows what to expect. */
export interface InvalidPhoneCase {
  customer_id: string;
  phone_number: string;
  /** false: the phone is the customer's only identifier, so the transfer fails rather than warns. */
  has_email: boolean;
}

export interface SampleData {
  seed: string;
  customers: SampleCustomer[];
  products: SampleProduct[];
  transactions: SampleTransaction[];
  invalidPhones: InvalidPhoneCase[];
}
