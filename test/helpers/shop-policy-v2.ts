/**
 * A version 2 shop: a customer record in `crm` shared by the customer relationship and the personal identity
 * number (removed when the relationship ends, while the rest stays a year), orders and invoices kept per item
 * in `orders`, and ID documents kept per request in `documents`.
 */
import { basePolicyDoc, policyFromDoc } from './policy';

export const shopPolicyV2 = policyFromDoc(
  basePolicyDoc({
    version: 2,
    events: {
      'account-closed': { description: 'the customer relationship ends' },
      'order-completed': { description: 'the order is delivered and paid' },
      invoiced: { description: 'the invoice is issued' },
    },
    categories: {
      identity: { description: 'Name' },
      'identity-number': { description: 'Personal identity number' },
      contact: { description: 'E-mail' },
      order: { description: 'Order lines and amounts' },
      'id-document': { description: 'Image of an ID document' },
    },
    systems: {
      crm: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        fields: {
          name: { category: 'identity', anonymise: { strategy: 'redact', value: '[erased]' } },
          email: { category: 'contact' },
          pnr: { category: 'identity-number' },
        },
      },
      orders: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        fields: { lines: { category: 'order' }, buyer: { category: 'identity' } },
      },
      documents: { connector: 's3', location: 'eu-north-1' },
    },
    purposes: {
      customer: {
        legalBasis: 'contract',
        categories: ['identity', 'contact'],
        systems: ['crm'],
        retention: { until: 'account-closed', keep: 'P1Y' },
      },
      'identity-number': {
        legalBasis: 'contract',
        categories: ['identity-number'],
        systems: ['crm'],
        retention: { until: 'account-closed' },
      },
      order: {
        legalBasis: 'contract',
        per: 'item',
        categories: ['identity', 'order'],
        systems: ['orders'],
        retention: { until: 'order-completed', keep: 'P3Y' },
      },
      bookkeeping: {
        legalBasis: ['contract', 'legal-obligation'],
        law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
        retainReason: 'Invoices are kept for seven years under the Bookkeeping Act.',
        per: 'item',
        categories: ['identity', 'order'],
        systems: ['orders'],
        retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
      },
      'id-check': {
        legalBasis: 'legal-obligation',
        law: 'GDPR Art. 12(6)',
        retainReason: 'Your ID document is kept until your request has been handled.',
        per: 'item',
        categories: ['id-document'],
        systems: ['documents'],
        retention: { until: 'request-handled' },
      },
    },
  }),
);
