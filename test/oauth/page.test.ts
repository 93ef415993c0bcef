// The page people see after Klaviyo's consent screen: styled like the console, readable on a phone, and
// never echoing markup from the query string.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderOAuthPage } from '../../src/oauth/routes.ts';

test('the OAuth answer page is styled, fits small screens and escapes its title', () => {
  const html = renderOAuthPage('Klaviyo <authorization> failed', '<p>Try again.</p>', '/subscriptions/s1');
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(html, /<style>[^<]*font:[^<]*system-ui[^<]*<\/style>/);
  assert.match(html, /<title>Klaviyo &#60;authorization&#62; failed · klaviyo-sync<\/title>/);
  assert.match(html, /<h1>Klaviyo &#60;authorization&#62; failed<\/h1><p>Try again\.<\/p>/);
  assert.match(html, /<a href="\/subscriptions\/s1">Back to the subscription<\/a>/);
  // Nothing is loaded from elsewhere: the page must work under the service's CSP.
  assert.doesNotMatch(html, /<link|<script|https?:\/\//);
});
