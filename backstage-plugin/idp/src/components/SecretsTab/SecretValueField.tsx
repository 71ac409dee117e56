/**
 * A secret's value: a native password input left uncontrolled, so the value lives only in the input element until the
 * dialog reads it to send it — never in React state or props (a controlled input would also mirror every keystroke
 * into its `value` attribute, i.e. into the page's HTML). No "show" toggle (BUI's PasswordField has one), no
 * autocomplete, no spellcheck: it is typed or pasted once, sent once, and the input is emptied as it is sent.
 */
import { FieldLabel } from '@backstage/ui';
import { forwardRef, useId } from 'react';

/** BUI's TextField input, in its design tokens (its CSS module's class names are not exported). */
const inputStyle = {
  height: '2rem',
  padding: '0 var(--bui-space-3)',
  borderRadius: 'var(--bui-radius-2)',
  border: 'none',
  backgroundColor: 'var(--bui-bg-neutral-2)',
  fontSize: 'var(--bui-font-size-3)',
  fontFamily: 'var(--bui-font-regular)',
  color: 'var(--bui-fg-primary)',
  width: '100%',
  boxSizing: 'border-box',
} as const;

export interface SecretValueFieldProps {
  label: string;
  description?: string;
  autoFocus?: boolean;
  /** Whether the input holds something (never what): the dialog's submit waits for it. */
  onFilledChange: (filled: boolean) => void;
}

export const SecretValueField = forwardRef<HTMLInputElement, SecretValueFieldProps>(function SecretValueField({ label, description, autoFocus, onFilledChange }, ref) {
  const id = useId();
  return (
    <div style={{ display: 'flex', flexDirection: 'column' }}>
      <FieldLabel label={label} secondaryLabel="Required" description={description} htmlFor={id} descriptionId={`${id}-description`} />
      <input
        ref={ref}
        id={id}
        type="password"
        autoComplete="off"
        autoCorrect="off"
        autoCapitalize="off"
        spellCheck={false}
        required
        autoFocus={autoFocus}
        aria-describedby={description ? `${id}-description` : undefined}
        // Password managers: nothing to save or fill here.
        data-1p-ignore=""
        data-lpignore="true"
        data-form-type="other"
        onInput={(e) => onFilledChange(e.currentTarget.value !== '')}
        style={inputStyle}
      />
    </div>
  );
});
