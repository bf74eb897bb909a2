import { describe, expect, it } from 'vitest';
import { checkTypePattern, compileTypeFilter } from '../../../src/event/index.js';

describe('compileTypeFilter', () => {
  it('matches everything for no patterns or "*"', () => {
    expect(compileTypeFilter([])('any.thing')).toBe(true);
    expect(compileTypeFilter(['a', '*'])('other')).toBe(true);
  });

  it('matches exact names and prefix globs', () => {
    const filter = compileTypeFilter(['user.created', 'document.*']);
    expect(filter('user.created')).toBe(true);
    expect(filter('user.deleted')).toBe(false);
    expect(filter('document.uploaded')).toBe(true);
    expect(filter('document.page.added')).toBe(true);
    expect(filter('document')).toBe(false);
    expect(filter('documents.x')).toBe(false);
  });

  it('refuses globs anywhere but the end, and empty patterns', () => {
    expect(checkTypePattern('document.*')).toBeUndefined();
    expect(checkTypePattern('*.uploaded')).toMatch(/may only end/);
    expect(checkTypePattern('')).toMatch(/empty/);
  });
});
