import escapeHtml from "escape-html";

/** Markup that is already safe: built by `html`, never from unescaped outside text. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** What may stand in an `html` template: text is escaped, SafeHtml is kept, lists are joined. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/**
 * A tagged template for HTML: every interpolated value is escaped by `escape-html` unless it is
 * itself `SafeHtml` (a nested `html` fragment), so text from tasks, steps or GitHub can never become
 * markup. Attribute values must be quoted in the template.
 *
 * @example
 * html`<a href="/dashboard/tasks/${task.id}">${task.repository}</a>`;
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return new SafeHtml(out);
}
